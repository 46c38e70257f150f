<?php
/** Escaping for the templates: every value goes through here. */
class Modules_MailCutover_Html
{
    public static function e($v)
    {
        if ($v === null) {
            return '';
        }
        if (is_bool($v)) {
            $v = $v ? 'yes' : 'no';
        }
        return htmlspecialchars((string)$v, ENT_QUOTES | ENT_SUBSTITUTE | ENT_HTML5, 'UTF-8');
    }

    /** A URL of this extension with a query, escaped for an attribute. */
    public static function url($action, array $query = [])
    {
        $u = pm_Context::getActionUrl('index', $action);
        if ($query) {
            $u .= (strpos($u, '?') === false ? '?' : '&') . http_build_query($query);
        }
        return self::e($u);
    }

    /** The extension's own CSRF token field: in every POST form. */
    public static function csrf()
    {
        return Modules_MailCutover_Csrf::field();
    }

    public static function t($key, array $params = [])
    {
        return self::e(pm_Locale::lmsg($key, $params));
    }

    /** "2026-11-29T13:47:57Z" -> "2026-11-29 13:47 UTC" */
    public static function time($iso)
    {
        if (!is_string($iso) || $iso === '') {
            return '';
        }
        $t = strtotime($iso);
        return $t ? gmdate('Y-m-d H:i', $t) . ' UTC' : $iso;
    }

    public static function duration($s)
    {
        $s = max(0, (int)$s);
        if ($s >= 86400) {
            return sprintf('%dd%02dh', intdiv($s, 86400), intdiv($s % 86400, 3600));
        }
        if ($s >= 3600) {
            return sprintf('%dh%02dm', intdiv($s, 3600), intdiv($s % 3600, 60));
        }
        return sprintf('%dm%02ds', intdiv($s, 60), $s % 60);
    }
}
