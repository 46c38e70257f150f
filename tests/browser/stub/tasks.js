/* The stand-in for Plesk's task list: polls /__stub/tasks and shows each
 * long task with its status, progress and status message. */
(function () {
    'use strict';
    function show(tasks) {
        var box = document.getElementById('pm-tasks');
        if (!box) { return; }
        box.textContent = '';
        tasks.forEach(function (t) {
            var d = document.createElement('div');
            d.className = 'pm-task';
            d.setAttribute('data-id', t.id);
            d.setAttribute('data-status', t.status);
            d.setAttribute('data-progress', String(t.progress));
            d.textContent = (t.message || t.id) + ' [' + t.status + ', ' + t.progress + '%]' +
                (t.error ? ' ' + t.error : '');
            box.appendChild(d);
        });
    }
    function poll() {
        fetch('/__stub/tasks', { cache: 'no-store' }).then(function (r) { return r.json(); })
            .then(function (j) { show(j.tasks || []); }).catch(function () {})
            .then(function () { window.setTimeout(poll, 500); });
    }
    document.addEventListener('DOMContentLoaded', poll);
}());
