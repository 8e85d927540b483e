"""Work in the EAEU: find a job in another member state and do the paperwork before moving.

Vacancies come from each state's national employment system (:mod:`.adapters`) and from
verified employers posting on the portal (:mod:`.vacancies`); public vacancy data is
replicated to every node taking part in the service (:mod:`.feed`) so that search
(:mod:`.search`) is local, fast and works across languages through ISCO-08 occupation codes
(:mod:`.isco`). A jobseeker's CV stays on the home node; applications, contracts, insurance,
housing and the migration pre-arrival notice cross borders only under the consent the
person gives for each (:mod:`.applications`, :mod:`.contracts`, :mod:`.insurance`,
:mod:`.housing`, :mod:`.migration`), and the paperwork checklist (:mod:`.checklist`) is
generated from legal rules kept as dated, sourced data.
"""
