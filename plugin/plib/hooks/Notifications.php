<?php
/**
 * The extension's notifications, listed by Plesk under Tools & Settings ->
 * Notifications, where the administrator changes who gets them and their
 * subject and text. The defaults below come from the locale files; the
 * placeholders (<count>, <domains>, <list>, <source>, <time>) are filled
 * in by Modules_MailCutover_Events::params when a digest is sent.
 */
class Modules_MailCutover_Notifications extends pm_Hook_Notifications
{
    public function getNotifications()
    {
        $out = [];
        foreach (Modules_MailCutover_Events::$all as $id) {
            $out[$id] = [
                'title' => pm_Locale::lmsg('notify_' . $id . '_title'),
                'notifyAdmin' => true,
                'notifyResellers' => false,
                'notifyClients' => false,
                'notifyCustomEmail' => false,
                'customEmail' => '',
                'subject' => pm_Locale::lmsg('notify_' . $id . '_subject'),
                'message' => pm_Locale::lmsg('notify_' . $id . '_message'),
            ];
        }
        return $out;
    }
}
