document.addEventListener("click", async (event) => {
  const button = event.target.closest("button[data-copy]");
  if (!button) return;
  const text = document.getElementById(button.dataset.copy).textContent;
  const status = document.getElementById(button.dataset.status);
  status.textContent = "";
  try {
    await navigator.clipboard.writeText(text);
    status.textContent = "Copied";
  } catch (error) {
    status.textContent = "Copy failed: select the list and copy it by hand";
  }
});
