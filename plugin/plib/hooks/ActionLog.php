<?php
/**
 * The extension's events in Plesk's Action Log (Tools & Settings -> Action
 * Log), submitted by Modules_MailCutover_Audit from the helper's audit log.
 * Event handlers (Tools & Settings -> Event Manager) see them as
 * ext_mail-cutover_<id>.
 */
class Modules_MailCutover_ActionLog extends pm_Hook_ActionLog
{
    public function getEvents()
    {
        $out = [];
        foreach (['ttl_lowered', 'records_switched', 'mail_disabled', 'ttl_restored', 'rollback'] as $id) {
            $out[$id] = pm_Locale::lmsg('actionlog_' . $id);
        }
        return $out;
    }
}
