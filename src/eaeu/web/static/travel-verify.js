// The travel verifier's camera scan: progressive enhancement of the paste-or-upload form.
// Frames from the camera are read into a canvas and decoded in the browser by the vendored
// jsQR; the first HC1: code found fills the text field and submits the form. Nothing is
// sent anywhere else, and without JavaScript or a camera the form works as it is.
(function () {
  "use strict";
  var form = document.getElementById("verify-form");
  var start = document.getElementById("scan-start");
  var stopButton = document.getElementById("scan-stop");
  var video = document.getElementById("scan-video");
  var status = document.getElementById("scan-status");
  var field = document.getElementById("qr");
  var section = document.getElementById("scan");
  if (!form || !start || !video || !field || !section || typeof window.jsQR !== "function") {
    return;
  }
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    return;
  }
  section.hidden = false;
  var canvas = document.createElement("canvas");
  var context = canvas.getContext("2d", { willReadFrequently: true });
  var stream = null;

  function say(text) { status.textContent = text; }

  function stop() {
    if (stream) { stream.getTracks().forEach(function (track) { track.stop(); }); }
    stream = null;
    video.hidden = true;
    stopButton.hidden = true;
    start.hidden = false;
  }

  function tick() {
    if (!stream) { return; }
    if (video.readyState === video.HAVE_ENOUGH_DATA) {
      canvas.width = video.videoWidth;
      canvas.height = video.videoHeight;
      context.drawImage(video, 0, 0, canvas.width, canvas.height);
      var pixels = context.getImageData(0, 0, canvas.width, canvas.height);
      var code = window.jsQR(pixels.data, pixels.width, pixels.height, { inversionAttempts: "attemptBoth" });
      if (code && code.data) {
        if (code.data.indexOf("HC1:") === 0) {
          field.value = code.data;
          say(section.dataset.found);
          stop();
          form.submit();
          return;
        }
        say(section.dataset.other);
      }
    }
    window.requestAnimationFrame(tick);
  }

  start.addEventListener("click", function () {
    say(section.dataset.starting);
    navigator.mediaDevices
      .getUserMedia({ video: { facingMode: "environment" }, audio: false })
      .then(function (media) {
        stream = media;
        video.srcObject = media;
        video.setAttribute("playsinline", "true");
        video.hidden = false;
        stopButton.hidden = false;
        start.hidden = true;
        say(section.dataset.looking);
        return video.play();
      })
      .then(function () { window.requestAnimationFrame(tick); })
      .catch(function () { stop(); say(section.dataset.denied); });
  });
  stopButton.addEventListener("click", function () { stop(); say(""); });
})();
