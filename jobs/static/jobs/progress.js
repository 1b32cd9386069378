// The admin's job page (jobs/templates/admin/jobs/importjob/progress.html): polls the
// job's data URL every second until it ends. A file, not an inline script: the
// Content-Security-Policy runs scripts from this server only.
(function () {
  const page = document.getElementById("job-progress");
  const show = (p) => {
    const status = document.getElementById("job-status");
    status.dataset.status = p.status;
    status.textContent = p.status_said;
    const bar = document.getElementById("job-bar");
    bar.max = Math.max(p.lines_total, 1);
    bar.value = p.lines_done;
    document.getElementById("job-lines").textContent = p.lines_said;
    document.getElementById("job-left").textContent = p.seconds_left === null ? "" : "about " + p.seconds_left + " s left";
    if (p.status === "done" || p.status === "failed") {
      document.getElementById("job-result").hidden = false;
      document.getElementById("job-summary").textContent = p.summary;
      const failedLines = document.getElementById("job-failed-lines");
      failedLines.hidden = !p.failed;
      if (p.failed_lines_url) failedLines.querySelector("a").href = p.failed_lines_url;
      const conflicts = document.getElementById("job-conflicts");
      conflicts.hidden = !p.conflicts;
      if (p.conflicts_url) conflicts.querySelector("a").href = p.conflicts_url;
      if (p.undo_state) {
        document.getElementById("job-undo").innerHTML = "";
        const link = document.createElement("a");
        link.href = p.undo_state_url;
        link.textContent = p.undo_state_said;  // the import's, or the one rolled back
        document.getElementById("job-undo").appendChild(link);
      }
      return true;
    }
    return false;
  };
  const poll = () => fetch(page.dataset.url, {credentials: "same-origin"})
    .then((r) => r.json())
    .then((p) => { if (!show(p)) setTimeout(poll, 1000); })
    .catch(() => setTimeout(poll, 3000));
  if (!["done", "failed"].includes(document.getElementById("job-status").dataset.status)) setTimeout(poll, 1000);
})();
