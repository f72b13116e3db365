// A list's filters: open on a wide screen (on a phone they stay folded under their summary), and the village
// choices narrowed to the chosen township, from the whole list the page keeps in <template class="villages">.
(function () {
  if (window.matchMedia("(min-width: 700px)").matches) {
    document.querySelectorAll("details[data-open-wide]").forEach(function (details) {
      details.open = true;
    });
  }
  document.querySelectorAll("template.villages").forEach(function (all) {
    var form = all.closest("form");
    var township = form.elements.township;
    var village = form.elements.village;
    if (!township || !village) return;
    township.addEventListener("change", function () {
      var chosen = village.value;
      while (village.children.length > 1) village.removeChild(village.lastElementChild);  // keep "all villages"
      all.content.querySelectorAll("optgroup").forEach(function (group) {
        if (!township.value) {
          village.appendChild(group.cloneNode(true));
        } else if (group.dataset.township === township.value) {
          group.querySelectorAll("option").forEach(function (option) {
            village.appendChild(option.cloneNode(true));
          });
        }
      });
      village.value = chosen;
      if (village.value !== chosen) village.value = "";  // the village is not in the township chosen
    });
  });
})();
