// The floor plan editor (back office): drag a table onto a cell to place it, tap a table to rename or delete it.
// Pointer events, so a mouse, a pen and a finger all drag the same way (the tiles say `touch-action: none`, so
// a finger moves the table instead of scrolling the page). The server saves each drop and answers with where
// the table now stands, or why it does not (another table is there): then the table goes back where it was.
// Without this script the forms below the plan still add, move and delete tables.
(function () {
  "use strict";
  const editor = document.querySelector(".floor-editor");
  if (!editor) return;
  const csrf = JSON.parse(document.body.getAttribute("hx-headers"))["X-CSRFToken"];
  const status = document.getElementById("floor-editor-status");
  const panel = document.getElementById("floor-selected");
  const START_DRAG = 6; // px a pointer moves before a press becomes a drag (a tap selects)

  function say(text, isError) {
    status.textContent = text || "";
    status.classList.toggle("is-error", !!isError);
  }

  let drag = null; // {tile, pointerId, x, y, moved, target}
  let swallowClick = false; // the click that follows a drag's pointerup is not a tap

  function cellAt(x, y) {
    const under = document.elementsFromPoint(x, y).filter((el) => el !== drag.tile && !drag.tile.contains(el));
    return under.find((el) => el.classList.contains("floor-cell")) || null;
  }

  function mark(cell) {
    if (drag.target === cell) return;
    if (drag.target) drag.target.classList.remove("is-target");
    drag.target = cell;
    if (cell) cell.classList.add("is-target");
  }

  function endDrag() {
    if (!drag) return null;
    const ended = drag;
    if (ended.target) ended.target.classList.remove("is-target");
    ended.tile.classList.remove("is-dragging");
    ended.tile.style.transform = "";
    drag = null;
    return ended;
  }

  editor.addEventListener("pointerdown", (event) => {
    const tile = event.target.closest(".floor-table");
    swallowClick = false;
    if (!tile || event.button !== 0 || drag) return;
    drag = { tile, pointerId: event.pointerId, x: event.clientX, y: event.clientY, moved: false, target: null };
    tile.setPointerCapture(event.pointerId);
  });

  editor.addEventListener("pointermove", (event) => {
    if (!drag || event.pointerId !== drag.pointerId) return;
    const dx = event.clientX - drag.x;
    const dy = event.clientY - drag.y;
    if (!drag.moved && Math.hypot(dx, dy) < START_DRAG) return;
    drag.moved = true;
    drag.tile.classList.add("is-dragging");
    drag.tile.style.transform = `translate(${dx}px, ${dy}px)`;
    mark(cellAt(event.clientX, event.clientY));
    event.preventDefault();
  });

  editor.addEventListener("pointerup", (event) => {
    if (!drag || event.pointerId !== drag.pointerId) return;
    const cell = drag.moved ? cellAt(event.clientX, event.clientY) : null;
    const ended = endDrag();
    if (!ended.moved) return; // a tap: the click that follows selects the table
    swallowClick = true;
    if (!cell) { say(editor.dataset.offPlan, true); return; }
    place(ended.tile, cell);
  });

  editor.addEventListener("pointercancel", () => { endDrag(); });

  async function place(tile, cell) {
    const same = cell.dataset.areaId === tile.dataset.areaId && cell.dataset.column === tile.dataset.column
      && cell.dataset.row === tile.dataset.row;
    if (same) return;
    let response, data;
    try {
      response = await fetch(editor.dataset.placeUrl.replace("/0/", "/" + tile.dataset.tableId + "/"), {
        method: "POST",
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
        credentials: "same-origin",
        body: JSON.stringify({ area: Number(cell.dataset.areaId), column: Number(cell.dataset.column), row: Number(cell.dataset.row) }),
      });
      data = await response.json();
    } catch (e) {
      say(editor.dataset.noConnection, true);
      return;
    }
    if (!response.ok) { say((data.error && data.error.message) || String(response.status), true); return; }
    if (tile.dataset.areaId !== String(data.area)) cell.parentElement.appendChild(tile); // into the other area's grid
    tile.dataset.areaId = String(data.area);
    tile.dataset.column = String(data.column);
    tile.dataset.row = String(data.row);
    tile.style.gridColumn = String(data.column);
    tile.style.gridRow = String(data.row);
    say(data.message, false);
    if (tile.classList.contains("is-selected")) select(tile);
  }

  // A tap (or Enter / Space on a focused table) opens its panel: rename, seats, delete.
  function select(tile) {
    editor.querySelectorAll(".floor-table.is-selected").forEach((t) => t.classList.remove("is-selected"));
    tile.classList.add("is-selected");
    panel.querySelector("[data-selected-name]").textContent = tile.dataset.tableName;
    panel.querySelectorAll("input[name=table]").forEach((input) => { input.value = tile.dataset.tableId; });
    const form = panel.querySelector("form");
    form.elements.area.value = tile.dataset.areaId;
    form.elements.column.value = tile.dataset.column;
    form.elements.row.value = tile.dataset.row;
    form.elements.name.value = tile.dataset.tableName;
    form.elements.seats.value = tile.dataset.seats;
    panel.hidden = false;
    panel.scrollIntoView({ block: "nearest" });
  }

  editor.addEventListener("click", (event) => {
    const tile = event.target.closest(".floor-table");
    if (!tile) return;
    if (swallowClick) { swallowClick = false; return; }
    select(tile);
  });
})();
