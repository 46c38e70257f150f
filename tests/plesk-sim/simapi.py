"""plesk-sim: state model and Plesk XML API packet handling (no I/O here).

The HTTPS server (simrun.py) calls Api.handle_packet(); zone changes are
reported to a BIND backend object with commit(zones) / zone_status_changed().
"""
import os
import copy
import ipaddress
import re
import threading
import time
import uuid

from lxml import etree

PROTOS = ("1.0.0.0 1.1.0.0 1.2.0.0 1.3.0.0 1.3.1.0 1.3.2.0 1.3.3.0 1.3.4.0 "
          "1.4.0.0 1.4.1.0 1.4.1.1 1.4.1.2 1.4.2.0 1.5.0.0 1.5.1.0 1.5.2.0 "
          "1.5.2.1 1.6.0.0 1.6.0.1 1.6.0.2 1.6.1.0 1.6.2.0 1.6.3.0 1.6.3.1 "
          "1.6.3.2 1.6.3.3 1.6.3.4 1.6.3.5 1.6.4.0 1.6.5.0 1.6.6.0 1.6.7.0 "
          "1.6.8.0 1.6.9.0 1.6.9.1").split()

# release -> (newest protocol, plesk_version, plesk_build)
DEFAULT_NAME_LOOKUP = {"11": "stored", "12.5": "stored", "obsidian": "both"}

RELEASES = {
    "11": ("1.6.4.0", "11.0.9", "110120608.16"),
    "12.5": ("1.6.7.0", "12.5.30", "1205150826.14"),
    "obsidian": ("1.6.9.1", "18.0.60", "1800240410.11"),
}

DEFAULT_SOA = {"ttl": 86400, "refresh": 10800, "retry": 3600,
               "expire": 604800, "minimum": 10800}
SOA_FIELDS = ("ttl", "refresh", "retry", "expire", "minimum")
NAME_VALUE_TYPES = ("NS", "CNAME", "MX", "PTR")
ADDABLE_TYPES = ("A", "AAAA", "CNAME", "MX", "NS", "TXT", "PTR", "SRV", "DS", "CAA")

SLAVE_TEXT = "Unable to update the DNS zone %s: zone is a slave zone"

SYSTEM_TEXT = {
    1001: "Authentication failed - wrong password.",
    1003: "Agent initialization failed.",
    1005: "XML API protocol version not supported.",
    1014: "Parser error: Request is invalid.",
    1017: "Feature not supported by the current version of API RPC.",
    1029: "Authentication method is not specified",
    11003: "Secret key validation failed.",
}

HOST_RE = re.compile(r"^(\*|[A-Za-z0-9_]([A-Za-z0-9_-]{0,62}))(\.[A-Za-z0-9_]([A-Za-z0-9_-]{0,62}))*$")
DS_RE = re.compile(r"^\d{1,5}\s+\d{1,3}\s+\d{1,3}\s+[0-9A-Fa-f\s]+$")
CAA_RE = re.compile(r'^\d{1,3}\s+[A-Za-z0-9]+\s+(".*"|\S+)$')


# ----------------------------------------------------------------------
# Error texts. Plesk localizes errtext to the panel's default language (doc
# §3.2 [C]); the wording of the real messages is not known [U]. The English
# texts are the emulator's approximations and serve as keys: every
# operation-level and system-level text is looked up here with
# localize(locale, text, args). Japanese ("ja") texts are deliberately long,
# multi-byte and plausible; the texts of the codes 1013, 1015, 1007, 1019 and
# 1023 are all longer than 200 bytes in UTF-8.
LOCALES = ("en", "ja")

JA_TEXT = {
    # system level
    "Authentication failed - wrong password.":
        "認証に失敗しました。ログイン名またはパスワードが正しくありません。",
    "Agent initialization failed.":
        "エージェントの初期化に失敗しました。",
    "XML API protocol version not supported.":
        "XML APIプロトコルのバージョンはサポートされていません。",
    "Parser error: Request is invalid.":
        "パーサーエラー: リクエストが無効です。",
    "Feature not supported by the current version of API RPC.":
        "この機能は現在のバージョンのAPI RPCではサポートされていません。",
    "Authentication method is not specified":
        "認証方法が指定されていません。",
    "Secret key validation failed.":
        "シークレットキーの検証に失敗しました。",
    "Parser error: Request is invalid. Content-Type must be text/xml":
        "パーサーエラー: リクエストが無効です。Content-Typeはtext/xmlである必要があります。",
    "Parser error: Request is invalid. Error in line %s: %s":
        "パーサーエラー: リクエストが無効です。%s 行目のエラー: %s",
    "Parser error: Request is invalid. Error in line 1: DTD is not allowed":
        "パーサーエラー: リクエストが無効です。1 行目のエラー: DTDは使用できません。",
    "Parser error: Request is invalid. Error in line %s: Element '%s': "
    "No matching global declaration available for the validation root.":
        "パーサーエラー: リクエストが無効です。%s 行目のエラー: 要素 '%s': "
        "検証ルートに一致するグローバル宣言がありません。",
    "Operation %s is not supported by plesk-sim":
        "オペレーション %s は plesk-sim ではサポートされていません。",
    "plesk-sim internal error":
        "plesk-sim の内部エラーが発生しました。",
    # 1013
    "Webspace does not exist":
        "指定されたサブスクリプションは存在しません。サブスクリプションが削除されたか、名前またはIDが"
        "正しくない可能性があります。名前は登録時の表記（国際化ドメイン名の場合はUnicode表記）で指定してください。",
    "Site does not exist":
        "指定されたサイトは存在しません。サイトが削除されたか、名前またはIDが正しくない可能性があります。"
        "サブスクリプションのメインドメインを取得するには、webspaceオペレーターを使用してください。",
    "Subdomain does not exist":
        "指定されたサブドメインは存在しません。サブドメインが削除されたか、名前またはIDが正しくない"
        "可能性があります。親ドメインの設定を確認してから、もう一度やり直してください。",
    "Domain alias does not exist":
        "指定されたドメインエイリアスは存在しません。エイリアスが削除されたか、名前またはIDが正しくない"
        "可能性があります。ドメインエイリアスの一覧を確認してから、もう一度やり直してください。",
    "DNS record does not exist.":
        "指定されたDNSレコードは存在しません。レコードが既に削除されているか、IDが正しくない可能性が"
        "あります。DNSゾーンの設定を確認してから、もう一度やり直してください。",
    "Domain does not exist":
        "ドメインが存在しません。指定されたIDのドメインは見つかりませんでした。ドメインが削除されたか、"
        "別のIDが指定された可能性があります。ドメインの一覧を確認してから、もう一度やり直してください。",
    "Mailname does not exist":
        "指定されたメールアカウントは存在しません。アカウントが削除されたか、名前が正しくない可能性が"
        "あります。ドメインのメールアカウントの一覧を確認してから、もう一度やり直してください。",
    # 1015
    "Domain does not exist.":
        "ドメインが存在しません。指定されたIDのドメインは見つかりませんでした。ドメインが削除されたか、"
        "別のIDが指定された可能性があります。ドメインの一覧を確認してから、もう一度やり直してください。",
    "Domain alias does not exist.":
        "ドメインエイリアスが存在しません。指定されたIDのエイリアスは見つかりませんでした。エイリアスが"
        "削除されたか、別のIDが指定された可能性があります。エイリアスの一覧を確認してください。",
    # 1007
    "DNS record already exists.":
        "DNSレコードは既に存在します。同じ種類、ホスト、値のレコードがこのDNSゾーンに登録されています。"
        "既存のレコードを変更する場合は、先に削除してから新しいレコードを追加してください。",
    "A CNAME record cannot coexist with other records for %s":
        "CNAMEレコードを追加できません: %s には既に他のレコードが存在します。CNAMEレコードは同じ名前の"
        "他のレコードと共存できません。既存のレコードを削除してから、もう一度やり直してください。",
    "A CNAME record already exists for %s":
        "レコードを追加できません: %s には既にCNAMEレコードが存在します。CNAMEレコードは同じ名前の"
        "他のレコードと共存できません。CNAMEレコードを削除してから、もう一度やり直してください。",
    # 1019
    "Incorrect DNS record type: %s":
        "DNSレコードの種類が正しくありません: %s。サポートされている種類（A、AAAA、CNAME、MX、NS、TXT、"
        "PTR、SRV、DS、CAA）のいずれかを指定して、もう一度やり直してください。",
    "Incorrect host name: %s":
        "ホスト名が正しくありません: %s。ホスト名には英数字、ハイフン、アンダースコアのみを使用でき、"
        "各ラベルは63文字以内である必要があります。入力内容を確認してから、もう一度やり直してください。",
    "Incorrect IP address: %s":
        "IPアドレスが正しくありません: %s。Aレコードの値には有効なIPv4アドレス（例: 192.0.2.1）を"
        "指定する必要があります。入力内容を確認してから、もう一度やり直してください。",
    "Incorrect IPv6 address: %s":
        "IPv6アドレスが正しくありません: %s。AAAAレコードの値には有効なIPv6アドレス（例: 2001:db8::1）を"
        "指定する必要があります。入力内容を確認してから、もう一度やり直してください。",
    "Incorrect domain name: %s":
        "ドメイン名が正しくありません: %s。このレコードの値には有効な完全修飾ドメイン名を指定する必要が"
        "あります。入力内容を確認してから、もう一度やり直してください。",
    "Incorrect MX priority: %s":
        "MXレコードの優先度が正しくありません: %s。優先度には0から65535までの整数を指定する必要が"
        "あります。入力内容を確認してから、もう一度やり直してください。",
    "TXT record value is empty":
        "TXTレコードの値が空です。TXTレコードには少なくとも1文字の値を指定する必要があります。"
        "入力内容を確認してから、もう一度やり直してください。",
    "Incorrect DS record value: %s":
        "DSレコードの値が正しくありません: %s。値は「キータグ アルゴリズム ダイジェストタイプ ダイジェスト」"
        "の形式で指定する必要があります。入力内容を確認してから、もう一度やり直してください。",
    "Incorrect CAA record value: %s":
        "CAAレコードの値が正しくありません: %s。値は「フラグ タグ 値」の形式で指定する必要があります。"
        "入力内容を確認してから、もう一度やり直してください。",
    "Incorrect SRV target":
        "SRVレコードのターゲットが正しくありません。ターゲットには有効なホスト名を指定する必要が"
        "あります。入力内容を確認してから、もう一度やり直してください。",
    "Host %s is outside of zone %s":
        "ホスト %s はDNSゾーン %s の外にあります。レコードのホスト名はゾーン内の名前である必要が"
        "あります。入力内容を確認してから、もう一度やり直してください。",
    # 1023
    "Unable to update the DNS zone %s: zone is a slave zone":
        "DNSゾーン %s を更新できません: このゾーンはスレーブゾーンです。スレーブゾーンのレコードとSOAは"
        "プライマリネームサーバーからのゾーン転送でのみ更新されます。プライマリサーバー側で変更してください。",
    # 1017
    "Switching zone type is not supported by plesk-sim":
        "ゾーンの種類の切り替えは plesk-sim ではサポートされていません。",
    "operator %s is not supported":
        "オペレーター %s はサポートされていません。",
}

# Generic text per error code, used by the `operror` fault (and as the
# fallback of a text without its own translation). English from the reduced
# list of error codes (doc §3.3).
CODE_TEXT = {
    1006: ("Permission denied.",
           "アクセスが拒否されました。この操作を実行する権限がありません。"),
    1007: ("Inserted data already exists.",
           "追加しようとしたデータは既に存在します。同じ内容のオブジェクトが既に登録されているため、"
           "この操作は実行されませんでした。既存のデータを確認してから、もう一度やり直してください。"),
    1013: ("Object does not exist.",
           "指定されたオブジェクトは存在しません。オブジェクトが既に削除されているか、IDまたは名前が"
           "正しくない可能性があります。入力内容を確認してから、もう一度やり直してください。"),
    1015: ("Object owner not found.",
           "オブジェクトの所有者が見つかりません。指定されたドメインまたはサブスクリプションは存在しない"
           "可能性があります。ドメインの一覧を確認してから、もう一度やり直してください。"),
    1017: ("Feature not supported by the current version of API RPC.",
           "この機能は現在のバージョンのAPI RPCではサポートされていません。"),
    1019: ("Invalid value.",
           "指定された値が正しくありません。値の形式または範囲が要件を満たしていないため、この操作は"
           "実行されませんでした。入力内容を確認してから、もう一度やり直してください。"),
    1023: ("Operation failed.",
           "操作に失敗しました。サーバー上で要求された変更を適用できませんでした。しばらくしてから、"
           "もう一度やり直してください。問題が解決しない場合は、サーバー管理者に連絡してください。"),
    1024: ("Limit reached.",
           "上限に達しました。リソースの制限を超えるため、この操作は実行されませんでした。"),
}
GENERIC_TEXT = ("Operation failed.",
                "操作を完了できませんでした。しばらくしてから、もう一度やり直してください。"
                "問題が解決しない場合は、サーバー管理者に連絡してください。")


def localize(locale, text, args=(), code=None):
    """The errtext for `text` (an English text or %-template, see JA_TEXT) in `locale`.
    A text without a translation falls back to the locale's text for `code`."""
    if locale == "ja":
        t = JA_TEXT.get(text)
        if t is None:
            return code_text("ja", code)
    else:
        t = text
    return t % tuple(args) if args else t


def code_text(locale, code):
    """The generic text of an error code in `locale`."""
    en, ja = CODE_TEXT.get(code, GENERIC_TEXT)
    return ja if locale == "ja" else en


class OpError(Exception):
    """An operation-level error: code plus an English text or %-template
    (localized when the result is written) and its arguments."""

    def __init__(self, code, text, *args):
        Exception.__init__(self, text % args if args else text)
        self.code = code
        self.text = text
        self.args_ = args


class SystemError_(Exception):
    def __init__(self, code, text=None):
        Exception.__init__(self, text or SYSTEM_TEXT.get(code, "error"))
        self.code = code
        self.text = text or SYSTEM_TEXT.get(code, "error")


def fqdn(host, zone):
    return (host + "." + zone if host else zone) + "."


class Zone:
    def __init__(self, name, owner_kind, owner_id, spec):
        self.name = name.lower()                 # ASCII (punycode) zone name
        self.owner_kind = owner_kind             # "site" | "alias"
        self.owner_id = owner_id
        self.status = spec.get("status", "enabled")
        soa = dict(DEFAULT_SOA)
        soa.update(spec.get("soa", {}))
        self.soa = {k: int(soa[k]) for k in SOA_FIELDS}
        self.records = []                        # dicts id,type,host(rel),value,opt
        for r in spec.get("records", []):
            # "raw": true keeps the value exactly as given (no trimming, no
            # trailing dot added): a value the panel's database may hold
            value = r["value"] if r.get("raw") else normalize_value(r["type"].upper(), r["value"])
            self.records.append({"id": int(r.get("id", 0)), "type": r["type"].upper(),
                                 "host": (r.get("host") or "").rstrip(".").lower(),
                                 "value": value,
                                 "opt": "" if r.get("opt") is None else str(r.get("opt"))})
        self.serial = int(spec.get("serial", 0)) or int(time.time())

    def bump_serial(self):
        self.serial = max(int(time.time()), self.serial + 1)
        return self.serial


def normalize_value(rtype, value):
    value = (value or "").strip() if rtype != "TXT" else (value or "")
    if rtype in NAME_VALUE_TYPES and value and not value.endswith("."):
        value += "."
    if rtype == "SRV":
        parts = value.split()
        if parts and not parts[-1].endswith("."):
            parts[-1] += "."
            value = " ".join(parts) if len(parts) > 1 else parts[-1]
    if rtype == "AAAA":
        try:
            value = str(ipaddress.IPv6Address(value))
        except ValueError:
            pass
    return value


class State:
    """Everything the emulated Plesk knows. Not thread safe: callers hold .lock."""

    def __init__(self, fixture):
        self.lock = threading.RLock()
        self.fixture = fixture
        self.auth = fixture.get("auth", {})
        self.server = fixture.get("server", {})
        self.domains = {}
        self.aliases = {}
        self.zones = {}          # zone name -> Zone
        self.template = [dict(r) for r in fixture.get("template", {}).get("records", [])]
        # zones BIND serves that are not the panel's (reverse zones of the
        # hosting provider): written once at start, invisible to the API
        self.static_zones = [Zone(z["name"], "static", 0, z)
                             for z in fixture.get("static_zones", [])]
        self.template_soa = dict(DEFAULT_SOA)
        self.template_soa.update(fixture.get("template", {}).get("soa", {}))
        max_id = 0
        for d in fixture.get("domains", []):
            d = copy.deepcopy(d)
            d["id"] = int(d["id"])
            d.setdefault("kind", "webspace")
            d.setdefault("ascii_name", d["name"])
            d["ascii_name"] = d["ascii_name"].lower()
            mail = d.setdefault("mail", {})
            mail.setdefault("enabled", True)
            mail.setdefault("mailnames", [])
            mail.setdefault("prefs", {})
            if "zone" in d:
                z = Zone(d["ascii_name"], "site", d["id"], d["zone"])
                self.zones[z.name] = z
            self.domains[d["id"]] = d
        for a in fixture.get("aliases", []):
            a = copy.deepcopy(a)
            a["id"] = int(a["id"])
            a["site_id"] = int(a["site_id"])
            a.setdefault("ascii_name", a["name"])
            a["ascii_name"] = a["ascii_name"].lower()
            a.setdefault("manage_dns", False)
            if "zone" in a:
                z = Zone(a["ascii_name"], "alias", a["id"], a["zone"])
                self.zones[z.name] = z
            self.aliases[a["id"]] = a
        for z in self.zones.values():
            for r in z.records:
                max_id = max(max_id, r["id"])
        for r in self.template:
            r["id"] = int(r["id"])
            max_id = max(max_id, r["id"])
        self.next_rec_id = max_id + 1

    # --- lookups -------------------------------------------------------
    # Indexes, so that 10,000 domains (make bench) do not make each lookup
    # a scan: answers are the same as the scans they replace (the first
    # match in fixture order); names never change after loading, and a
    # record index entry is checked before it is believed.
    def _names_ix(self):
        if getattr(self, "_ix_n", None) != len(self.domains):
            stored, ascii_ = {}, {}
            for pos, d in enumerate(self.domains.values()):
                stored.setdefault(d["name"].lower(), []).append((pos, d))
                ascii_.setdefault(d["ascii_name"], []).append((pos, d))
            self._ix_stored, self._ix_ascii = stored, ascii_
            self._ix_n = len(self.domains)
        return self._ix_stored, self._ix_ascii

    def domain_by_name(self, name, kinds, stored_only=False):
        """Case-insensitive match on the stored name (`name`) and, unless
        stored_only, on the ASCII form (`ascii_name`) too: the first such
        domain of the fixture."""
        n = (name or "").strip().rstrip(".").lower()
        stored, ascii_ = self._names_ix()
        cands = list(stored.get(n, []))
        if not stored_only:
            cands += ascii_.get(n, [])
        for _, d in sorted(cands, key=lambda x: x[0]):
            if d["kind"] in kinds:
                return d
        return None

    def alias_by_name(self, name, stored_only=False):
        n = (name or "").strip().rstrip(".").lower()
        for a in self.aliases.values():
            if a["name"].lower() == n or (not stored_only and a["ascii_name"] == n):
                return a
        return None

    def webspace_of(self, d):
        seen = 0
        while d.get("parent_id") and seen < 20:
            d = self.domains.get(int(d["parent_id"]), d)
            seen += 1
        return d

    def site_zone(self, site_id):
        """site-id -> (zone, prefix) or None. A subdomain without its own zone
        lives in its parent's zone under a host prefix."""
        d = self.domains.get(site_id)
        if d is None:
            return None
        z = self.zones.get(d["ascii_name"])
        if z is not None and z.owner_kind == "site" and z.owner_id == d["id"]:
            return z, ""
        if d.get("parent_id"):
            parent = self.domains.get(int(d["parent_id"]))
            if parent is None:
                return None
            pz = self.site_zone(parent["id"])
            if pz is None:
                return None
            zone, _ = pz
            if d["ascii_name"].endswith("." + zone.name):
                return zone, d["ascii_name"][:-len(zone.name) - 1]
        return None

    def alias_zone(self, alias_id):
        a = self.aliases.get(alias_id)
        if a is None:
            return None
        z = self.zones.get(a["ascii_name"])
        if z is not None and z.owner_kind == "alias" and z.owner_id == alias_id:
            return z, ""
        return None

    def record_added(self, zone, rec):
        """Keep the record index (find_record) up to date."""
        ix = getattr(self, "_rec_ix", None)
        if ix is not None:
            ix[rec["id"]] = zone

    def find_record(self, rec_id):
        ix = getattr(self, "_rec_ix", None)
        if ix is None:
            ix = self._rec_ix = {}
            for z in self.zones.values():
                for r in z.records:
                    ix.setdefault(r["id"], z)
        z = ix.get(rec_id)
        if z is not None and self.zones.get(z.name) is z:
            for r in z.records:
                if r["id"] == rec_id:
                    return z, r
        # not where the index says, or not in it: the scan it replaces
        for z in self.zones.values():
            for r in z.records:
                if r["id"] == rec_id:
                    ix[rec_id] = z
                    return z, r
        return None, None

    def to_json(self):
        out = {"auth": self.auth, "server": self.server, "domains": [], "aliases": []}
        for d in self.domains.values():
            dd = copy.deepcopy({k: v for k, v in d.items() if k != "zone"})
            z = self.zones.get(d["ascii_name"])
            if z is not None and z.owner_kind == "site" and z.owner_id == d["id"]:
                dd["zone"] = self.zone_json(z)
            out["domains"].append(dd)
        for a in self.aliases.values():
            aa = copy.deepcopy({k: v for k, v in a.items() if k != "zone"})
            z = self.zones.get(a["ascii_name"])
            if z is not None and z.owner_kind == "alias" and z.owner_id == a["id"]:
                aa["zone"] = self.zone_json(z)
            out["aliases"].append(aa)
        out["template"] = {"soa": self.template_soa, "records": self.template}
        out["next_record_id"] = self.next_rec_id
        return out

    @staticmethod
    def zone_json(z):
        return {"name": z.name, "status": z.status, "serial": z.serial,
                "soa": dict(z.soa), "records": [dict(r) for r in z.records]}


def sub(parent, tag, text=None):
    e = etree.SubElement(parent, tag)
    if text is not None:
        e.text = str(text)
    return e


def ok(res):
    sub(res, "status", "ok")


def err(res, code, text):
    sub(res, "status", "error")
    sub(res, "errcode", code)
    sub(res, "errtext", text)


def texts(el, tag):
    return [(c.text or "").strip() for c in el if c.tag == tag]


def child(el, tag):
    for c in el:
        if c.tag == tag:
            return c
    return None


def ctext(el, tag, default=None):
    c = child(el, tag)
    if c is None:
        return default
    return c.text if c.text is not None else ""


def parse_version(v):
    return tuple(int(x) for x in v.split("."))


class Api:
    def __init__(self, state, release="obsidian", backend=None, log=None):
        self.state = state
        self.release = release
        self.newest = RELEASES[release][0]
        self.protos = [p for p in PROTOS if parse_version(p) <= parse_version(self.newest)]
        self.backend = backend
        self.log = log or (lambda *a: None)
        self.latency_op_ms = 0
        self.dirty = set()
        self.status_changed = set()
        # called as mail_hook(domain_dict, enabled) when a domain's mail
        # service changes (mail enable/disable, set_prefs mailservice);
        # `up --mailbed DIR` reconfigures a real Postfix there
        self.mail_hook = None
        # with --mailbed: DIR/mail/<domain>/<name>/ Maildirs; mail get_info
        # <mailbox-usage/> then reports their real size in bytes [I]
        self.maildir_base = None
        # "master", or "slave" for `up --role secondary`: every zone is then a slave zone,
        # records and SOA are read-only (1023) and status changes reach BIND per operation.
        self.zone_type = "master"
        # `<filter><name>` of webspace/site/subdomain/site-alias get: "stored" matches
        # only the name as stored (Plesk 11/12: the form entered, often Unicode),
        # "both" also the ASCII form (default per release, see DEFAULT_NAME_LOOKUP)
        self.name_lookup = DEFAULT_NAME_LOOKUP[release]
        # dns get_rec naming an unknown site-id/site-alias-id: "fail" = ONE 1015
        # error result for the whole operation, "empty" = no results for that site
        self.get_rec_unknown_site = "fail"
        # dns set with a partial <soa>: "keep" the omitted fields, or "reset" them
        # to the template SOA
        self.soa_partial = "keep"
        # errtext language: "en" or "ja" (see JA_TEXT)
        self.locale = "en"
        self.counters = None

    @property
    def slave(self):
        return self.zone_type == "slave"

    def fail(self, res, code, text, *args):
        """An operation-level error result with the errtext in the current locale."""
        err(res, code, localize(self.locale, text, args, code))

    def count(self, name, n=1):
        if self.counters is not None:
            self.counters[name] = self.counters.get(name, 0) + n

    # ------------------------------------------------------------------
    def resolve_version(self, v):
        """Returns the protocol used, or None (-> 1005)."""
        if v is None or v.strip() == "":
            return self.newest
        v = v.strip()
        if v in self.protos:
            return v
        if not re.match(r"^\d+(\.\d+){0,3}$", v):
            return None
        want = v.split(".")
        matches = [p for p in self.protos if p.split(".")[:len(want)] == want]
        return matches[-1] if matches else None

    @staticmethod
    def operations(root):
        """[(operator_el, [operation_el...])] skipping request-settings."""
        out = []
        for opr in root:
            if not isinstance(opr.tag, str) or opr.tag == "request-settings":
                continue
            out.append((opr, [op for op in opr if isinstance(op.tag, str)]))
        return out

    def unsupported(self, root):
        for opr, ops in self.operations(root):
            for op in ops:
                if (opr.tag, op.tag) not in HANDLERS:
                    return "%s/%s" % (opr.tag, op.tag)
        return None

    def run_packet(self, root, version, counters, fault=None):
        """Execute an authenticated, validated packet. Returns the reply root.
        fault: an `operror` fault taken for this request: the first operation that
        matches it answers an error result instead of running."""
        reply = etree.Element("packet", version=version)
        self.dirty = set()
        self.status_changed = set()
        self.counters = counters
        pending = fault if fault and fault.get("kind") == "operror" else None
        try:
            for opr, ops in self.operations(root):
                ropr = sub(reply, opr.tag)
                for op in ops:
                    key = "%s.%s" % (opr.tag, op.tag)
                    counters["ops"] += 1
                    counters["by_op"][key] = counters["by_op"].get(key, 0) + 1
                    if self.latency_op_ms:
                        time.sleep(self.latency_op_ms / 1000.0)
                    rop = sub(ropr, op.tag)
                    if pending is not None and (not pending.get("match") or pending["match"] == key):
                        self.op_error(rop, pending)
                        pending = None
                        continue
                    HANDLERS[(opr.tag, op.tag)](self, op, rop)
        finally:
            self.flush()
        return reply

    def op_error(self, rop, fault):
        """The `operror` fault: one error result, nothing applied. A bare
        status/errcode/errtext result is valid for every implemented operation
        (the id, site-id, filter-id, data... children are all optional)."""
        code = int(fault.get("errcode", 1023))
        text = fault.get("text")
        if text is None:
            text = code_text(self.locale, code)
        err(sub(rop, "result"), code, text)

    def flush(self):
        if not self.dirty:
            return
        zones = [z for z in self.dirty]
        if not self.slave:      # a slave zone's serial is the master's, not ours
            for z in zones:
                z.bump_serial()
        if self.backend is not None:
            try:
                self.backend.commit(zones, reconfig=bool(self.status_changed))
            except Exception as e:  # keep serving; the log tells
                self.log("BIND commit failed: %s" % e)
        self.dirty = set()
        self.status_changed = set()

    def touch(self, zone, status=False):
        self.dirty.add(zone)
        if status:
            self.status_changed.add(zone)

    # --- helpers ----------------------------------------------------------
    def gen_info_common(self, d, e):
        sub(e, "cr_date", d.get("cr_date", "2020-01-01"))
        sub(e, "name", d["name"])
        sub(e, "ascii-name", d["ascii_name"])
        sub(e, "status", d.get("status", 0))
        sub(e, "real_size", 0)

    def guid(self, kind, ident):
        return str(uuid.uuid5(uuid.NAMESPACE_URL, "plesk-sim:%s:%s" % (kind, ident)))

    def ips_of(self, d):
        """The domain's hosting addresses for gen_info dns_ip_address: IPv4 first,
        then IPv6. `ip` / `ip6` on the domain (null = none), else the server's
        `ip` (default 127.0.2.10) / `ip6` (default none)."""
        srv = self.state.server
        v4 = d["ip"] if "ip" in d else srv.get("ip", "127.0.2.10")
        v6 = d["ip6"] if "ip6" in d else srv.get("ip6")
        return [ip for ip in (v4, v6) if ip]


# ======================================================================
# server
def server_get_protos(api, op, rop):
    res = sub(rop, "result")
    ok(res)
    protos = sub(res, "protos")
    for p in api.protos:
        sub(protos, "proto", p)


def server_get(api, op, rop):
    res = sub(rop, "result")
    ok(res)
    st = api.state
    rel = RELEASES[api.release]
    for flag in op:
        if flag.tag == "gen_info":
            g = sub(res, "gen_info")
            sub(g, "server_name", st.server.get("name", "plesk-sim.test"))
            sub(g, "server_guid", st.server.get("guid", api.guid("server", "1")))
            sub(g, "mode", "standard")
        elif flag.tag == "stat":
            s = sub(res, "stat")
            o = sub(s, "objects")
            nd = len(st.domains)
            nmb = sum(len(d["mail"]["mailnames"]) for d in st.domains.values())
            for k, v in (("clients", 1), ("domains", nd), ("active_domains", nd),
                         ("mail_boxes", nmb), ("mail_redirects", 0), ("mail_groups", 0),
                         ("mail_responders", 0), ("web_users", 0), ("databases", 0),
                         ("database_users", 0), ("problem_clients", 0), ("problem_domains", 0)):
                sub(o, k, v)
            v = sub(s, "version")
            sub(v, "plesk_name", "psa")
            sub(v, "plesk_version", rel[1])
            sub(v, "plesk_os", st.server.get("os", "Debian"))
            sub(v, "plesk_os_version", st.server.get("os_version", "12"))
            sub(v, "plesk_build", rel[2])
            sub(v, "os_release", st.server.get("os_release", "6.1.0"))
            ot = sub(s, "other")
            sub(ot, "cpu", "plesk-sim virtual CPU")
            sub(ot, "uptime", int(time.monotonic()))
            sub(ot, "inside_vz", "false")
            la = sub(s, "load_avg")
            for k in ("l1", "l5", "l15"):
                sub(la, k, "0.01")
            m = sub(s, "mem")
            for k, val in (("total", 4294967296), ("used", 1073741824), ("free", 3221225472),
                           ("shared", 0), ("buffer", 0), ("cached", 0)):
                sub(m, k, val)
            sw = sub(s, "swap")
            for k, val in (("total", 0), ("used", 0), ("free", 0)):
                sub(sw, k, val)
            ds = sub(s, "diskspace")
            dev = sub(ds, "device")
            for k, val in (("name", "/"), ("total", 53687091200), ("used", 10737418240),
                           ("free", 42949672960)):
                sub(dev, k, val)
        elif flag.tag == "services_state":
            ss = sub(res, "services_state")
            for sid, title in (("dns", "DNS Server (BIND)"), ("smtp", "SMTP Server (Postfix)"),
                               ("web", "Web Server (Apache)")):
                srv = sub(ss, "srv")
                sub(srv, "id", sid)
                sub(srv, "title", title)
                sub(srv, "state", "running")
        # other flags: silently not returned (documented)


# ======================================================================
# webspace / site / subdomain / site-alias
def _filter_items(filt):
    """[(kind, value)] from a filter element; [] for an empty filter."""
    if filt is None:
        return []
    return [(c.tag, (c.text or "").strip()) for c in filt if isinstance(c.tag, str)]


def webspace_get(api, op, rop):
    st = api.state
    items = _filter_items(child(op, "filter"))
    webspaces = [d for d in st.domains.values() if d["kind"] == "webspace"]
    if not items:
        for d in webspaces:
            _webspace_result(api, rop, d, None)
        return
    for kind, val in items:
        found = []
        if kind == "name":
            d = st.domain_by_name(val, ("webspace",), api.name_lookup == "stored")
            found = [d] if d else []
        elif kind == "id":
            found = [d for d in webspaces if str(d["id"]) == val]
        elif kind == "guid":
            found = [d for d in webspaces if api.guid("domain", d["id"]) == val]
        elif kind == "owner-login":
            found = webspaces if val == st.auth.get("login", "admin") else []
        elif kind == "owner-id":
            found = webspaces if val == "1" else []
        if not found:
            res = sub(rop, "result")
            api.fail(res, 1013, "Webspace does not exist")
            sub(res, "filter-id", val)
        for d in found:
            _webspace_result(api, rop, d, val)


def _webspace_result(api, rop, d, filter_id):
    res = sub(rop, "result")
    ok(res)
    if filter_id is not None:
        sub(res, "filter-id", filter_id)
    sub(res, "id", d["id"])
    data = sub(res, "data")
    g = sub(data, "gen_info")
    api.gen_info_common(d, g)
    sub(g, "owner-id", 1)
    sub(g, "owner-login", api.state.auth.get("login", "admin"))
    for ip in api.ips_of(d):
        sub(g, "dns_ip_address", ip)
    sub(g, "htype", "vrt_hst")
    sub(g, "guid", api.guid("domain", d["id"]))
    sub(g, "vendor-guid", api.guid("vendor", 1))
    sub(g, "external-id", "")


SITE_KINDS = ("site", "subdomain")


def site_get(api, op, rop):
    st = api.state
    items = _filter_items(child(op, "filter"))
    sites = [d for d in st.domains.values() if d["kind"] in SITE_KINDS]
    if not items:
        for d in sites:
            _site_result(api, rop, d, None)
        return
    for kind, val in items:
        if kind == "name":
            d = st.domain_by_name(val, SITE_KINDS, api.name_lookup == "stored")
            found = [d] if d else []
        elif kind == "id":
            found = [d for d in sites if str(d["id"]) == val]
        elif kind == "guid":
            found = [d for d in sites if api.guid("domain", d["id"]) == val]
        elif kind in ("parent-id", "parent-site-id"):
            found = [d for d in sites if str(d.get("parent_id", "")) == val]
        elif kind in ("parent-name", "parent-site-name"):
            p = st.domain_by_name(val, ("webspace", "site"))
            found = [d for d in sites if p and d.get("parent_id") == p["id"]]
        else:
            found = []
        if not found:
            res = sub(rop, "result")
            api.fail(res, 1013, "Site does not exist")
            sub(res, "filter-id", val)
        for d in found:
            _site_result(api, rop, d, val)


def _site_result(api, rop, d, filter_id):
    st = api.state
    res = sub(rop, "result")
    ok(res)
    if filter_id is not None:
        sub(res, "filter-id", filter_id)
    sub(res, "id", d["id"])
    data = sub(res, "data")
    g = sub(data, "gen_info")
    api.gen_info_common(d, g)
    for ip in api.ips_of(d):
        sub(g, "dns_ip_address", ip)
    sub(g, "htype", "vrt_hst")
    sub(g, "guid", api.guid("domain", d["id"]))
    ws = st.webspace_of(d)
    sub(g, "webspace-guid", api.guid("domain", ws["id"]))
    sub(g, "webspace-id", ws["id"])


def subdomain_get(api, op, rop):
    st = api.state
    items = _filter_items(child(op, "filter"))
    subs = [d for d in st.domains.values() if d["kind"] == "subdomain"]
    if not items:
        for d in subs:
            _subdomain_result(api, rop, d, None)
        return
    for kind, val in items:
        if kind == "name":
            d = st.domain_by_name(val, ("subdomain",), api.name_lookup == "stored")
            found = [d] if d else []
        elif kind == "id":
            found = [d for d in subs if str(d["id"]) == val]
        elif kind == "parent-name":
            p = st.domain_by_name(val, ("webspace", "site"))
            found = [d for d in subs if p and d.get("parent_id") == p["id"]]
        else:
            found = []
        if not found:
            res = sub(rop, "result")
            api.fail(res, 1013, "Subdomain does not exist")
            sub(res, "filter-id", val)
        for d in found:
            _subdomain_result(api, rop, d, val)


def _subdomain_result(api, rop, d, filter_id):
    st = api.state
    parent = st.domains.get(int(d.get("parent_id", 0) or 0))
    pname = parent["name"] if parent else ""
    res = sub(rop, "result")
    ok(res)
    if filter_id is not None:
        sub(res, "filter-id", filter_id)
    sub(res, "id", d["id"])
    data = sub(res, "data")
    sub(data, "parent", pname)
    short = d["name"]
    if parent and short.lower().endswith("." + parent["name"].lower()):
        short = short[:-len(parent["name"]) - 1]
    sub(data, "name", short)
    sub(data, "home", "/" + d["ascii_name"])


def alias_get(api, op, rop):
    st = api.state
    items = _filter_items(child(op, "filter"))
    if not items:
        for a in st.aliases.values():
            _alias_result(api, rop, a, None)
        return
    for kind, val in items:
        if kind == "name":
            a = st.alias_by_name(val, api.name_lookup == "stored")
            found = [a] if a else []
        elif kind == "id":
            found = [a for a in st.aliases.values() if str(a["id"]) == val]
        elif kind == "site-id":
            found = [a for a in st.aliases.values() if str(a["site_id"]) == val]
        else:
            found = []
        if not found:
            res = sub(rop, "result")
            api.fail(res, 1013, "Domain alias does not exist")
            sub(res, "filter-id", val)
        for a in found:
            _alias_result(api, rop, a, val)


def _alias_result(api, rop, a, filter_id):
    res = sub(rop, "result")
    ok(res)
    if filter_id is not None:
        sub(res, "filter-id", filter_id)
    sub(res, "id", a["id"])
    info = sub(res, "info")
    sub(info, "status", 0)
    pref = sub(info, "pref")
    sub(pref, "web", "true")
    sub(pref, "mail", "true" if a.get("mail", True) else "false")
    sub(pref, "tomcat", "false")
    sub(info, "manage-dns", "true" if a.get("manage_dns") else "false")
    sub(info, "site-id", a["site_id"])
    sub(info, "name", a["name"])
    sub(info, "ascii-name", a["ascii_name"])


# ======================================================================
# dns
def _validate_record(rtype, host, value, opt):
    """Raises OpError(1019) for values Plesk would refuse (codes are [U])."""
    if rtype not in ADDABLE_TYPES:
        raise OpError(1019, "Incorrect DNS record type: %s", rtype)
    if host and not HOST_RE.match(host):
        raise OpError(1019, "Incorrect host name: %s", host)
    if rtype == "A":
        try:
            ipaddress.IPv4Address(value)
        except ValueError:
            raise OpError(1019, "Incorrect IP address: %s", value)
    elif rtype == "AAAA":
        try:
            ipaddress.IPv6Address(value)
        except ValueError:
            raise OpError(1019, "Incorrect IPv6 address: %s", value)
    elif rtype in NAME_VALUE_TYPES:
        v = value.rstrip(".")
        if not v or not HOST_RE.match(v):
            raise OpError(1019, "Incorrect domain name: %s", value)
        if rtype == "MX" and opt not in (None, ""):
            if not re.match(r"^\d{1,5}$", opt) or int(opt) > 65535:
                raise OpError(1019, "Incorrect MX priority: %s", opt)
    elif rtype == "TXT":
        if value == "":
            raise OpError(1019, "TXT record value is empty")
    elif rtype == "DS":
        if not DS_RE.match(value):
            raise OpError(1019, "Incorrect DS record value: %s", value)
    elif rtype == "CAA":
        if not CAA_RE.match(value):
            raise OpError(1019, "Incorrect CAA record value: %s", value)
    elif rtype == "SRV":
        if not value.strip():
            raise OpError(1019, "Incorrect SRV target")


def _rel_host(host, zone, prefix):
    h = (host or "").strip().lower()
    if h.endswith("."):
        h = h.rstrip(".")
        if h == zone.name:
            h = ""
        elif h.endswith("." + zone.name):
            h = h[:-len(zone.name) - 1]
        else:
            raise OpError(1019, "Host %s is outside of zone %s", host, zone.name)
        return h
    if prefix:
        h = h + "." + prefix if h else prefix
    return h


def dns_add_rec(api, op, rop):
    st = api.state
    res = sub(rop, "result")
    site = ctext(op, "site-id")
    alias = ctext(op, "site-alias-id")
    rtype = (ctext(op, "type") or "").strip().upper()
    host = ctext(op, "host") or ""
    value = ctext(op, "value") or ""
    opt = ctext(op, "opt")
    opt = "" if opt is None else opt.strip()
    def check():
        _validate_record(rtype, host.strip().rstrip("."), value.strip() if rtype != "TXT" else value, opt)
    try:
        if site is None and alias is None:      # server-wide DNS template
            check()
            value = normalize_value(rtype, value)
            if rtype == "MX" and opt == "":
                opt = "10"
            rec = {"id": st.next_rec_id, "type": rtype, "host": host.strip(),
                   "value": value, "opt": opt}
            for r in st.template:
                if (r["type"], r["host"], r["value"], r["opt"]) == (rtype, rec["host"], value, opt):
                    raise OpError(1007, "DNS record already exists.")
            st.next_rec_id += 1
            st.template.append(rec)
            ok(res)
            sub(res, "id", rec["id"])
            return
        zp = st.site_zone(int(site)) if site is not None else st.alias_zone(int(alias))
        if zp is None:
            # the text of lego's add-record-error.xml (doc §14), no id echoed
            if site is not None:
                raise OpError(1015, "Domain does not exist.")
            raise OpError(1015, "Domain alias does not exist.")
        zone, prefix = zp
        if api.slave:
            raise OpError(1023, SLAVE_TEXT, zone.name)
        check()
        value = normalize_value(rtype, value)
        if rtype == "MX" and opt == "":
            opt = "10"
        h = _rel_host(host, zone, prefix)
        for r in zone.records:
            if (r["type"] == rtype and r["host"] == h and
                    r["value"].lower() == value.lower() and (r["opt"] or "") == opt):
                raise OpError(1007, "DNS record already exists.")
        if rtype == "CNAME" and any(r["host"] == h for r in zone.records):
            raise OpError(1007, "A CNAME record cannot coexist with other records for %s", fqdn(h, zone.name))
        if rtype != "CNAME" and any(r["host"] == h and r["type"] == "CNAME" for r in zone.records):
            raise OpError(1007, "A CNAME record already exists for %s", fqdn(h, zone.name))
        rec = {"id": st.next_rec_id, "type": rtype, "host": h, "value": value, "opt": opt}
        st.next_rec_id += 1
        zone.records.append(rec)
        st.record_added(zone, rec)
        api.touch(zone)
        ok(res)
        sub(res, "id", rec["id"])
    except OpError as e:
        api.fail(res, e.code, e.text, *e.args_)


def _rec_result(api, rop, zone, r, site_tag, site_val):
    res = sub(rop, "result")
    ok(res)
    sub(res, "id", r["id"])
    data = sub(res, "data")
    if site_tag:
        sub(data, site_tag, site_val)
    sub(data, "type", r["type"])
    sub(data, "host", fqdn(r["host"], zone.name) if zone else r["host"])
    sub(data, "value", r["value"])
    sub(data, "opt", r.get("opt") or "")


def _owner_tag(zone):
    return ("site-id" if zone.owner_kind == "site" else "site-alias-id"), zone.owner_id


def _select_records(api, filt, include_subdomains=False):
    """-> list of (zone, record, site_tag, site_val) in filter order."""
    st = api.state
    items = _filter_items(filt)
    out = []
    if not items:
        for z in st.zones.values():
            tag, val = _owner_tag(z)
            out.extend((z, r, tag, val) for r in z.records)
        return out
    for kind, val in items:
        if kind == "id":
            z, r = st.find_record(int(val))
            if r is not None:
                tag, oid = _owner_tag(z)
                out.append((z, r, tag, oid))
        elif kind == "site-id":
            sid = int(val)
            zp = st.site_zone(sid)
            if zp is not None:
                z, prefix = zp
                for r in z.records:
                    if not prefix or r["host"] == prefix or r["host"].endswith("." + prefix):
                        out.append((z, r, "site-id", sid))
            if include_subdomains:
                for d in st.domains.values():
                    if d["kind"] == "subdomain" and d.get("parent_id") == sid:
                        zz = st.zones.get(d["ascii_name"])
                        if zz is not None and zz.owner_kind == "site" and zz.owner_id == d["id"]:
                            out.extend((zz, r, "site-id", d["id"]) for r in zz.records)
        elif kind == "site-alias-id":
            aid = int(val)
            zp = st.alias_zone(aid)
            if zp is not None:
                out.extend((zp[0], r, "site-alias-id", aid) for r in zp[0].records)
        elif kind == "dns-zone-name":
            z = st.zones.get(val.strip().rstrip(".").lower())
            if z is None:
                d = st.domain_by_name(val, ("webspace", "site", "subdomain"))
                z = st.zones.get(d["ascii_name"]) if d else None
            if z is not None:
                tag, oid = _owner_tag(z)
                out.extend((z, r, tag, oid) for r in z.records)
    return out


def dns_get_rec(api, op, rop):
    st = api.state
    filt = child(op, "filter")
    if child(op, "template") is not None:
        ids = [int(v) for k, v in _filter_items(filt) if k == "id"]
        for r in st.template:
            if not ids or r["id"] in ids:
                _rec_result(api, rop, None, r, None, None)
        return
    if api.get_rec_unknown_site == "fail":
        for kind, val in _filter_items(filt):
            if ((kind == "site-id" and int(val) not in st.domains) or
                    (kind == "site-alias-id" and int(val) not in st.aliases)):
                # [U] doc §14: 1015 without the id echoed, as add_rec answers; one
                # unknown site fails the whole operation, records of the others too
                api.fail(sub(rop, "result"), 1015, "Domain does not exist.")
                return
    for z, r, tag, val in _select_records(api, filt, child(op, "include-subdomains") is not None):
        _rec_result(api, rop, z, r, tag, val)


def dns_del_rec(api, op, rop):
    st = api.state
    filt = child(op, "filter")
    items = _filter_items(filt)
    if child(op, "template") is not None:
        ids = [int(v) for k, v in items if k == "id"]
        if not items:
            for r in list(st.template):
                st.template.remove(r)
                res = sub(rop, "result")
                ok(res)
                sub(res, "id", r["id"])
            return
        for i in ids:
            r = next((x for x in st.template if x["id"] == i), None)
            res = sub(rop, "result")
            if r is None:
                api.fail(res, 1013, "DNS record does not exist.")
            else:
                st.template.remove(r)
                ok(res)
            sub(res, "id", i)
        return
    if items and all(k == "id" for k, _ in items):
        for _, v in items:
            i = int(v)
            z, r = st.find_record(i)
            res = sub(rop, "result")
            if r is None:
                api.fail(res, 1013, "DNS record does not exist.")
            elif api.slave:
                api.fail(res, 1023, SLAVE_TEXT, z.name)
            else:
                z.records.remove(r)
                api.touch(z)
                ok(res)
            sub(res, "id", i)
        return
    # site-id / site-alias-id / dns-zone-name / EMPTY filter (= everything!)
    for z, r, _, _ in _select_records(api, filt):
        if api.slave:
            res = sub(rop, "result")
            api.fail(res, 1023, SLAVE_TEXT, z.name)
            sub(res, "id", r["id"])
            continue
        if r in z.records:
            z.records.remove(r)
            api.touch(z)
            res = sub(rop, "result")
            ok(res)
            sub(res, "id", r["id"])


def _site_targets(api, op):
    """For simpleFilterType ops: [(tag, id, zone_or_None)]; [] = no filter."""
    st = api.state
    out = []
    for kind, val in _filter_items(child(op, "filter")):
        i = int(val)
        zp = st.site_zone(i) if kind == "site-id" else st.alias_zone(i)
        out.append((kind, i, zp[0] if zp else None))
    return out


def _no_such(kind):
    return "Domain does not exist" if kind == "site-id" else "Domain alias does not exist"


def dns_get(api, op, rop):
    targets = _site_targets(api, op)
    want_soa = child(op, "soa") is not None
    if child(op, "filter") is None:
        res = sub(rop, "result")
        ok(res)
        if want_soa:
            soa = sub(res, "soa")
            for k in SOA_FIELDS:
                sub(soa, k, api.state.template_soa[k])
        sub(res, "zone_type", "master")
        sub(res, "zone_status", "enabled")
        return
    for kind, i, z in targets:
        res = sub(rop, "result")
        if z is None:
            api.fail(res, 1015, _no_such(kind))
            sub(res, kind, i)
            continue
        ok(res)
        sub(res, kind, i)
        if want_soa:
            soa = sub(res, "soa")
            for k in SOA_FIELDS:
                sub(soa, k, z.soa[k])
        sub(res, "zone_type", api.zone_type)
        sub(res, "zone_status", z.status)


def dns_set(api, op, rop):
    soa_el = child(op, "soa")
    new = {}
    for k in SOA_FIELDS:
        v = ctext(soa_el, k)
        if v is not None:
            new[k] = int(v.strip())
    templ = child(op, "filter") is None
    if len(new) < len(SOA_FIELDS):
        api.count("partial_soa_sets")
        if api.soa_partial == "reset":
            # omitted fields go back to the template SOA (for the template itself:
            # Plesk's built-in defaults)
            base = DEFAULT_SOA if templ else api.state.template_soa
            new = dict((k, new.get(k, int(base[k]))) for k in SOA_FIELDS)
    if templ:
        api.state.template_soa.update(new)
        res = sub(rop, "result")
        ok(res)
        return
    for kind, i, z in _site_targets(api, op):
        res = sub(rop, "result")
        if z is None:
            api.fail(res, 1015, _no_such(kind))
        elif api.slave:
            api.fail(res, 1023, SLAVE_TEXT, z.name)
        else:
            z.soa.update(new)
            api.touch(z)
            ok(res)
        sub(res, kind, i)


def _dns_status(api, op, rop, status):
    if child(op, "filter") is None:
        res = sub(rop, "result")
        ok(res)
        return
    for kind, i, z in _site_targets(api, op):
        res = sub(rop, "result")
        if z is None:
            api.fail(res, 1015, _no_such(kind))
        else:
            if z.status != status:
                z.status = status
                api.touch(z, status=True)
                if api.slave:
                    # Plesk applies each operation at once: disable + enable in ONE packet
                    # must still drop and re-create the slave zone (fresh transfer).
                    api.flush()
            ok(res)
        sub(res, kind, i)


def dns_enable(api, op, rop):
    _dns_status(api, op, rop, "enabled")


def dns_disable(api, op, rop):
    _dns_status(api, op, rop, "disabled")


def dns_switch(api, op, rop):
    for kind, i, z in _site_targets(api, op):
        res = sub(rop, "result")
        if z is None:
            api.fail(res, 1015, _no_such(kind))
        else:
            api.fail(res, 1017, "Switching zone type is not supported by plesk-sim")
        sub(res, kind, i)


def dns_remote(api, op, rop):
    res = sub(rop, "result")
    api.fail(res, 1017, "operator %s is not supported", op.tag)


# ======================================================================
# mail
def _mail_domain(api, sid):
    d = api.state.domains.get(sid)
    return d


def mail_enable_disable(api, op, rop):
    sid = int(ctext(op, "site-id"))
    res = sub(rop, "result")
    d = _mail_domain(api, sid)
    if d is None:
        api.fail(res, 1013, "Domain does not exist")
        return
    _mail_set(api, d, op.tag == "enable")
    ok(res)


def _mail_set(api, d, enabled):
    was = d["mail"]["enabled"]
    d["mail"]["enabled"] = enabled
    if api.mail_hook is not None:
        # Plesk reconfigures its MTA on every call, changed or not
        api.mail_hook(d, enabled, was)


def mail_get_prefs(api, op, rop):
    st = api.state
    sids = [int(v) for k, v in _filter_items(child(op, "filter")) if k == "site-id"]
    if not sids:
        sids = [d["id"] for d in st.domains.values()]
    for sid in sids:
        res = sub(rop, "result")
        d = _mail_domain(api, sid)
        if d is None:
            api.fail(res, 1013, "Domain does not exist")   # no site-id: schema needs prefs with it
            continue
        ok(res)
        sub(res, "site-id", sid)
        p = sub(res, "prefs")
        prefs = d["mail"]["prefs"]
        nu = sub(p, "nonexistent-user")
        nuk = prefs.get("nonexistent-user", {"bounce": "This address no longer accepts mail."})
        for k, v in nuk.items():
            sub(nu, k, v if k != "reject" else None)
        sub(p, "webmail", prefs.get("webmail", "roundcube"))
        sub(p, "spam-protect-sign", "true" if prefs.get("spam-protect-sign") else "false")
        sub(p, "greylisting", "false" if prefs.get("greylisting") is False else "true")
        sub(p, "mailservice", "true" if d["mail"]["enabled"] else "false")


def mail_set_prefs(api, op, rop):
    st = api.state
    sids = [int(v) for k, v in _filter_items(child(op, "filter")) if k == "site-id"]
    if not sids:
        sids = [d["id"] for d in st.domains.values()]
    pe = child(op, "prefs")
    for sid in sids:
        res = sub(rop, "result")
        d = _mail_domain(api, sid)
        if d is None:
            api.fail(res, 1013, "Domain does not exist")
            sub(res, "site-id", sid)
            continue
        prefs = d["mail"]["prefs"]
        for c in (pe if pe is not None else []):
            t = (c.text or "").strip()
            if c.tag == "mailservice":
                _mail_set(api, d, t in ("true", "1"))
            elif c.tag in ("spam-protect-sign", "greylisting"):
                prefs[c.tag] = t in ("true", "1")
            elif c.tag == "webmail":
                prefs["webmail"] = t
            elif c.tag == "nonexistent-user":
                for cc in c:
                    prefs["nonexistent-user"] = {cc.tag: (cc.text or "")}
        ok(res)
        sub(res, "site-id", sid)


def _usage(api, d, m):
    """Bytes in the mailbox: the real Maildir with --mailbed, else the
    fixture's figure."""
    base = getattr(api, "maildir_base", None)
    if not base:
        return m.get("usage", 0)
    total = 0
    root = os.path.join(base, d.get("ascii_name") or d["name"], m["name"])
    for sub_dir in ("new", "cur"):
        try:
            for f in os.listdir(os.path.join(root, sub_dir)):
                try:
                    total += os.path.getsize(os.path.join(root, sub_dir, f))
                except OSError:
                    pass
        except OSError:
            pass
    return total


def mail_get_info(api, op, rop):
    filt = child(op, "filter")
    sid = int(ctext(filt, "site-id"))
    names = texts(filt, "name")
    flags = set(c.tag for c in op if c.tag != "filter")
    d = _mail_domain(api, sid)
    if d is None:
        res = sub(rop, "result")
        api.fail(res, 1013, "Domain does not exist")
        return
    mns = d["mail"]["mailnames"]
    if names:
        sel = []
        for n in names:
            m = next((m for m in mns if m["name"].lower() == n.lower()), None)
            sel.append((n, m))
    else:
        sel = [(m["name"], m) for m in mns]
    if not sel:
        ok(sub(rop, "result"))
        return
    for n, m in sel:
        res = sub(rop, "result")
        if m is None:
            api.fail(res, 1013, "Mailname does not exist")
            mn = sub(res, "mailname")
            sub(mn, "name", n)
            continue
        ok(res)
        mn = sub(res, "mailname")
        sub(mn, "id", m["id"])
        sub(mn, "name", m["name"])
        if "mailbox" in flags or "mailbox-usage" in flags:
            mb = sub(mn, "mailbox")
            if "mailbox" in flags:
                sub(mb, "enabled", "true" if m.get("mailbox", True) else "false")
                sub(mb, "quota", m.get("quota", -1))
            if "mailbox-usage" in flags:
                sub(mb, "usage", _usage(api, d, m))
        if "forwarding" in flags:
            fw = sub(mn, "forwarding")
            addrs = m.get("forwarding", [])
            sub(fw, "enabled", "true" if addrs else "false")
            for a in addrs:
                sub(fw, "address", a)
        if "aliases" in flags:
            for a in m.get("aliases", []):
                sub(mn, "alias", a)
        if "autoresponder" in flags:
            ar = sub(mn, "autoresponder")
            sub(ar, "enabled", "false")


HANDLERS = {
    ("server", "get_protos"): server_get_protos,
    ("server", "get"): server_get,
    ("webspace", "get"): webspace_get,
    ("site", "get"): site_get,
    ("subdomain", "get"): subdomain_get,
    ("site-alias", "get"): alias_get,
    ("dns", "add_rec"): dns_add_rec,
    ("dns", "get_rec"): dns_get_rec,
    ("dns", "del_rec"): dns_del_rec,
    ("dns", "get"): dns_get,
    ("dns", "set"): dns_set,
    ("dns", "enable"): dns_enable,
    ("dns", "disable"): dns_disable,
    ("dns", "switch"): dns_switch,
    ("dns", "enable-remote-dns"): dns_remote,
    ("dns", "disable-remote-dns"): dns_remote,
    ("dns", "get-status-remote-dns"): dns_remote,
    ("mail", "enable"): mail_enable_disable,
    ("mail", "disable"): mail_enable_disable,
    ("mail", "get_prefs"): mail_get_prefs,
    ("mail", "set_prefs"): mail_set_prefs,
    ("mail", "get_info"): mail_get_info,
}


# ======================================================================
# zone file rendering
def _txt_chunks(value):
    raw = value.encode("utf-8")
    chunks = [raw[i:i + 255] for i in range(0, len(raw), 255)] or [b""]
    out = []
    for c in chunks:
        s = []
        for b in c:
            ch = chr(b)
            if ch in '"\\':
                s.append("\\" + ch)
            elif 0x20 <= b < 0x7f:
                s.append(ch)
            else:
                s.append("\\%03d" % b)
        out.append('"' + "".join(s) + '"')
    return " ".join(out)


def render_zone(z):
    lines = ["; generated by plesk-sim -- zone %s" % z.name,
             "$TTL %d" % z.soa["ttl"],
             "%s. IN SOA ns1.%s. hostmaster.%s. ( %d %d %d %d %d )" % (
                 z.name, z.name, z.name, z.serial, z.soa["refresh"], z.soa["retry"],
                 z.soa["expire"], z.soa["minimum"])]
    for r in z.records:
        owner = fqdn(r["host"], z.name)
        t, v, opt = r["type"], r["value"], (r.get("opt") or "").strip()
        if t == "MX":
            rdata = "%s %s" % (opt or "10", v)
        elif t == "TXT":
            rdata = _txt_chunks(v)
        elif t == "SRV":
            parts = v.split()
            if len(parts) >= 4:
                rdata = v
            else:
                nums = re.findall(r"\d+", opt)
                if len(nums) < 3:
                    nums = (nums + ["0", "0", "0"])[:3]
                rdata = "%s %s %s %s" % (nums[0], nums[1], nums[2], v)
        else:
            rdata = v
        lines.append("%s IN %s %s" % (owner, t, rdata))
    return "\n".join(lines) + "\n"
