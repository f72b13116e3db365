// A background task's page: asks for its state every second and moves the bar; reloads when it ends.
(function () {
  var box = document.getElementById("task");
  if (!box || ["queued", "running"].indexOf(box.dataset.status) < 0) return;
  var bar = document.getElementById("task-bar");
  var percent = document.getElementById("task-percent");
  var done = document.getElementById("task-done");
  var label = document.getElementById("task-label");
  function poll() {
    fetch(box.dataset.state, {credentials: "same-origin", headers: {Accept: "application/json"}})
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (state) {
        if (!state) { setTimeout(poll, 3000); return; }
        bar.value = state.percent;
        percent.textContent = state.percent + "%";
        done.textContent = state.done;
        label.textContent = state.label;
        if (state.status === "queued" || state.status === "running") setTimeout(poll, 1000);
        else if (state.then) window.location.assign(state.then);
        else window.location.reload();
      })
      .catch(function () { setTimeout(poll, 3000); });
  }
  setTimeout(poll, 1000);
})();
