/* Mail Cutover: select all, confirmations, countdowns, CSRF token on forms. */
(function () {
    'use strict';
    function token() {
        var m = document.querySelector('meta[name="forgery_protection_token"]');
        return m ? m.getAttribute('content') : '';
    }
    function addToken(form) {
        if ((form.method || '').toLowerCase() !== 'post' || form.querySelector('input[name="forgery_protection_token"]')) {
            return;
        }
        var i = document.createElement('input');
        i.type = 'hidden';
        i.name = 'forgery_protection_token';
        i.value = token();
        form.appendChild(i);
    }
    function left(s) {
        if (s <= 0) { return ''; }
        var d = Math.floor(s / 86400), h = Math.floor(s % 86400 / 3600), m = Math.floor(s % 3600 / 60);
        return d ? d + 'd' + (h < 10 ? '0' : '') + h + 'h' : h ? h + 'h' + (m < 10 ? '0' : '') + m + 'm' : m + 'm' + (s % 60 < 10 ? '0' : '') + s % 60 + 's';
    }
    function tick() {
        var now = Date.now() / 1000;
        document.querySelectorAll('.mc-countdown[data-at]').forEach(function (el) {
            var s = Math.round(parseInt(el.getAttribute('data-at'), 10) - now);
            el.textContent = s > 0 ? '(' + left(s) + ')' : '';
        });
    }
    document.addEventListener('DOMContentLoaded', function () {
        document.querySelectorAll('form').forEach(addToken);
        document.addEventListener('submit', function (ev) {
            var b = ev.submitter;
            if (b && b.getAttribute('data-confirm') && !window.confirm(b.getAttribute('data-confirm'))) {
                ev.preventDefault();
                return;
            }
            addToken(ev.target);
        }, true);
        var all = document.getElementById('mc-all');
        if (all) {
            all.addEventListener('change', function () {
                document.querySelectorAll('#mc-domains input[name="ids[]"]').forEach(function (c) { c.checked = all.checked; });
            });
        }
        document.querySelectorAll('input[data-autosubmit]').forEach(function (c) {
            c.addEventListener('change', function () {
                var f = c.form;
                if (!c.checked) {   /* an unchecked box posts nothing: say "no" */
                    var i = document.createElement('input');
                    i.type = 'hidden'; i.name = 'value'; i.value = 'no';
                    f.appendChild(i);
                }
                addToken(f);
                f.submit();
            });
        });
        document.querySelectorAll('button[data-fill]').forEach(function (b) {
            b.addEventListener('click', function () {
                var t = document.getElementById(b.getAttribute('data-fill'));
                if (t) { t.value = b.getAttribute('data-value'); }
            });
        });
        tick();
        window.setInterval(tick, 1000);
    });
}());
