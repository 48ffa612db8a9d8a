// tenure console: the one script. A form whose button needs every box of `data-requires` ticked
// keeps it disabled until they are (the unsubscription's two confirmations); "select all"
// boxes tick their table's rows; a bulk action's count says how many rows are ticked. The pages
// work without it, the server checks everything again.
document.addEventListener("DOMContentLoaded", () => {
  for (const button of document.querySelectorAll("button[data-requires]")) {
    const boxes = button.dataset.requires.split(" ").map((id) => document.getElementById(id));
    const update = () => { button.disabled = !boxes.every((box) => box && box.checked); };
    boxes.forEach((box) => box && box.addEventListener("change", update));
    update();
  }
  const counts = [...document.querySelectorAll("output[data-count-of]")];
  const recount = () => {
    for (const count of counts) {
      const boxes = [...document.querySelectorAll(`input[name="${count.dataset.countOf}"]`)];
      const ticked = boxes.filter((box) => box.checked).length;
      count.textContent = ticked === 0 ? "None selected" : `${ticked} of ${boxes.length} selected`;
    }
  };
  for (const all of document.querySelectorAll("input[data-select-all]")) {
    all.addEventListener("change", () => {
      for (const box of document.querySelectorAll(`input[name="${all.dataset.selectAll}"]`)) {
        box.checked = all.checked;
      }
      recount();
    });
  }
  for (const count of counts) {
    for (const box of document.querySelectorAll(`input[name="${count.dataset.countOf}"]`)) {
      box.addEventListener("change", recount);
    }
  }
  recount();
});
