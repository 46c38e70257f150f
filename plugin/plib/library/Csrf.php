<?php
/**
 * The extension's own CSRF check, on every POST, whatever the platform
 * does (whether pm_Controller_Action checks Plesk's forgery_protection_token
 * is not documented). A signed double-submit token: a random nonce in a
 * cookie of this extension's path (HttpOnly, SameSite=Strict), and in each
 * form the HMAC-SHA256 of nonce and login under a key kept in the
 * extension's var dir (0600). A forged cross-site POST has neither the
 * cookie's value nor the key; an injected cookie gives no valid HMAC.
 */
class Modules_MailCutover_Csrf
{
    const FIELD = 'mc_token';
    const HEADER = 'HTTP_X_MC_TOKEN';
    const COOKIE = 'mc_csrf';

    private static $nonce;

    private static function key()
    {
        $f = pm_Context::getVarDir() . 'csrf.key';
        $k = @file_get_contents($f);
        if (is_string($k) && preg_match('/^[0-9a-f]{64}$/', trim($k))) {
            return trim($k);
        }
        $k = bin2hex(random_bytes(32));
        $tmp = $f . '.' . bin2hex(random_bytes(4));
        $old = umask(077);
        $ok = file_put_contents($tmp, $k . "\n") !== false && chmod($tmp, 0600) && rename($tmp, $f);
        umask($old);
        if (!$ok) {
            @unlink($tmp);
            throw new pm_Exception('cannot store the CSRF key in the extension var dir');
        }
        /* two first requests at once: both read back the one that won */
        $k = trim((string)file_get_contents($f));
        return $k;
    }

    private static function nonce()
    {
        if (self::$nonce !== null) {
            return self::$nonce;
        }
        $c = isset($_COOKIE[self::COOKIE]) ? $_COOKIE[self::COOKIE] : null;
        if (is_string($c) && preg_match('/^[0-9a-f]{32}$/', $c)) {
            return self::$nonce = $c;
        }
        self::$nonce = bin2hex(random_bytes(16));
        if (!headers_sent()) {
            setcookie(self::COOKIE, self::$nonce, [
                'path' => pm_Context::getBaseUrl(),
                'httponly' => true,
                'samesite' => 'Strict',
                'secure' => !empty($_SERVER['HTTPS']) && $_SERVER['HTTPS'] !== 'off',
            ]);
        }
        return self::$nonce;
    }

    /** The token for this browser and user (for the forms). */
    public static function token()
    {
        return hash_hmac('sha256', self::nonce() . '|' . pm_Session::getClient()->getLogin(), self::key());
    }

    /** True when the request carries this browser's token. */
    public static function valid(array $post, array $server)
    {
        $c = isset($_COOKIE[self::COOKIE]) ? $_COOKIE[self::COOKIE] : null;
        if (!is_string($c) || !preg_match('/^[0-9a-f]{32}$/', $c)) {
            return false;   /* no nonce: no token was ever handed out */
        }
        $t = isset($post[self::FIELD]) ? $post[self::FIELD] : (isset($server[self::HEADER]) ? $server[self::HEADER] : null);
        return is_string($t) && hash_equals(self::token(), $t);
    }

    /** A hidden form field with the token. */
    public static function field()
    {
        return '<input type="hidden" name="' . self::FIELD . '" value="'
            . Modules_MailCutover_Html::e(self::token()) . '">';
    }
}
