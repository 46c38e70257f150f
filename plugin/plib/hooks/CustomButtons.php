<?php
/** A "Mail cutover" button on each domain's page (administrators only). */
class Modules_MailCutover_CustomButtons extends pm_Hook_CustomButtons
{
    public function getButtons()
    {
        $places = [self::PLACE_DOMAIN_PROPERTIES];
        if (defined('pm_Hook_CustomButtons::PLACE_DOMAIN_PROPERTIES_DYNAMIC')) {
            $places[] = self::PLACE_DOMAIN_PROPERTIES_DYNAMIC;
        }
        $button = [
            'place' => $places,
            'title' => pm_Locale::lmsg('buttonTitle'),
            'description' => pm_Locale::lmsg('buttonDescription'),
            'icon' => pm_Context::getBaseUrl() . 'images/icon-16.png',
            'link' => pm_Context::getActionUrl('index', 'domain'),
            'contextParams' => true,
            'visibility' => function ($params) {
                try {
                    return pm_Session::isExist() && pm_Session::getClient()->isAdmin()
                        && !empty($params['site_id']) && empty($params['alias_id']);
                } catch (Throwable $e) {
                    return false;   /* no session: no button */
                }
            },
        ];
        if (defined('pm_Hook_CustomButtons::SECTION_DOMAIN_PROPS_DYNAMIC_MAIL')) {
            $button['section'] = self::SECTION_DOMAIN_PROPS_DYNAMIC_MAIL;
        }
        return [$button];
    }
}
