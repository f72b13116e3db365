// Optional location for a home visit: filled only when the visitor asks, from the phone's GPS.
(function () {
  var button = document.getElementById("locate");
  if (!button || !navigator.geolocation) return;
  var script = document.currentScript;
  button.hidden = false;
  button.addEventListener("click", function () {
    navigator.geolocation.getCurrentPosition(function (position) {
      document.getElementById("latitude").value = position.coords.latitude.toFixed(6);
      document.getElementById("longitude").value = position.coords.longitude.toFixed(6);
      document.getElementById("located").textContent = script.dataset.located;
    });
  });
})();
