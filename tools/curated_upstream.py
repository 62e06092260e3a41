"""Round-2 provider data from the UPSTREAM reference databases, applied by curate_providers.py.

The local reference snapshot in `../shared/reference/` lags behind the two public provider
databases it was taken from. This module carries facts from upstream files the snapshot
lacks (or lists fewer domains/servers for):

- the Thunderbird ISPDB, GitHub `thunderbird/autoconfig` `ispdb/*` (MPL 2.0);
- the Delta Chat provider database, GitHub `deltachat/provider-db` `_providers/*.md`
  (MPL 2.0).

Only facts are taken over (domains, host names, ports, TLS modes, username forms, links);
every hint is written in our own words. Servers are listed in the upstream file's order.
Plaintext endpoints are kept where the upstream file lists them (the entry records
`security = "plain"` and mailprobe warns about it); an unauthenticated port-25 relay is
left out because the entry format would wrongly give it a password login.
"""

from __future__ import annotations

from typing import Any


def _ispdb(name: str) -> list[str]:
    return [f"ispdb (upstream thunderbird/autoconfig): ispdb/{name}"]


def _deltachat(name: str) -> list[str]:
    return [f"deltachat (upstream deltachat/provider-db): _providers/{name}"]


def _autoconfig(domain: str) -> str:
    return f"https://autoconfig.thunderbird.net/v1.1/{domain}"


def _words(text: str) -> list[str]:
    return text.split()


def _delta(name: str) -> str:
    return f"https://providers.delta.chat/{name}/"


PLAIN_HINT = (
    "Some of the listed servers only work without encryption: prefer the TLS ports and "
    "never send the password over a plaintext connection."
)

# ---------------------------------------------------------------- BIGLOBE (Japan)
# The ISPDB's old per-domain layout (thunderbird/autoconfig v1.1/myad.jp, one copy per
# domain) lists every BIGLOBE mail domain, all on mail.biglobe.ne.jp.
# The current ispdb/biglobe.ne.jp.xml keeps only biglobe.ne.jp and notes "about 1400
# domains, all with bgmgate1.biglobe.ne.jp as MX"; these are those domains (1,399, the
# file's "test.test.biglobe.ne.jp" left out). Listing them lets mailprobe match the
# address itself instead of relying on an (untrusted) MX answer.

#: NAME.biglobe.ne.jp and NAME.memail.jp both exist for these.
_BIGLOBE_AND_MEMAIL = _words(
    """
    a ab ace achoo alien aloha amethyst amigo angel angler apricot aqua aquamarine
    aquarius aries autumn ayu b bamboo banana baseball basil basketball bass bat bear
    beat beautiful beer believe bell bike bird black blue blues bluesky boar bohemian
    bowwow bravo breeze bridge bro butterfly c cafe cake cancer candy capricorn cat
    catch center chameleon cheers cheetah cherry chocolate chu ciao classical clever
    club cobra comet condor cool coral cow crow cute d dad daisuki dance darling dear
    denbe diamond dog dokidoki doll dolphin dr dragon dreamer drum duck dunk e eagle
    earth east eight elephant eleven emerald energy enjoy f fairy falcon fan fantasy
    fawn ferret fever fight fine fire first fish fist five folk force forest four fox
    fresh fruit funky future g gaia galaxy gambler gamer garnet gem gemini genius genki
    ginga giraffe glasses globe gold golden golf good grace grandma grandpa grazie great
    green groove guitar guts guy h hamster hanabi handsome happy harmony hawk heart
    hello hey hi hiphop hippo hit hobby hockey honey hoop horse hot i ice ichigo iron
    ivory ivy j jambo jazz jewel joke joy jr jumbo jump jungle jupiter k king kiss
    knight koala l lady lake latin lavender lavie leaf left lefty lemon leo libra lily
    lime lion lonely long love lovelove lovely lucky luna m macho magic mama mambo
    marine maroon mars melody melon meow mercury mermaid milk mint miracle mocha momo
    monkey moon moonstone motor motto mount mouse muscle n neko neptune nice nine no1
    noodle north note o octopus ok ole one opal opera orange owl oyaji p pan panda pansy
    panther papa parapara passion peace peach pearl pegasus penguin peridot piano pig
    pine pink pisces piyo plum pony pops potato power pretty pride private punk puppy
    pure purin puripuri q queen r rabbit raccoondog racer rain rainbow rap red rhythm
    rice rider right river robin rock rookie rose ruby runrun s safari sagittarius
    sakura salt samba sapphire saturn scorpio sea seabass second seeya sepia seven sf
    shake sheep shine shoot short shout shrimp silver simplem six ski sky smart smash
    smile snake snowboard snowy soccer soul south space spice spider spring star step
    stone storm strawberry string sugar summer sunflower sunshine super surfing swallow
    swan sweet swing symphony t tai tango taurus tea techno ten tender tennis terra
    thanks third three thunder tiger tiny topaz tornado tough tourmaline traveler tree
    tropical tulip turbo turquoise twelve twist two typhoon u ultra ume unicorn v
    valuestar venus violet virgo viva volleyball w west whale white wild winter with
    wolf wonder wood x y yamame yeah yes yours z zoo zzz
"""
)

#: NAME.biglobe.ne.jp only.
_BIGLOBE_ONLY = _words(
    """
    007 2001 4649 777 bcs bma bqd george hyoryugai tokoro kba kbd kbe kbf kbh kca kcd
    kce kcf kch kde kdn kdp kdr kdt keb ked keh kej kem kfa kfd kfx kfy kfz kha khc khe
    khf khh kib kif kih kir kiu kjb kjc kjd kje kjf kkd kke kkf kkh kki kmd kme kmf kmh
    kmj kna knd kne knh kni kpa kpb kpd kpe kph kra krb krc krd krf ksf ksh ksj ksn kss
    kta ktb ktd ktf ktj kub kuc kud kuf kuh kvd kve kvf kvj kvp kxa kxb kxd kxe kxf kyf
    kyi kyj kym kyp kza kzc kzd kzf kzh mpd mqb mqc mqd mqe mqf mqg mqh mqi mqj mra mrb
    mrc mrd mre mrf mrg mrh mri mrj msa msb msc msd mse msf msg msh msi msj mta mtb mtc
    mtd mte mtf mtg mth mti mtj mua mub muc mud mue muf mug muh mui muj mva mvb mvc mvd
    mve mvf mvg mvh mvi mvj mwa mwb mwc mwd mwe xqb xqd xqe xqg xqh xqj xrh xrj xsj xug
    xui xvb xvf xvg xvh
"""
)

#: NAME.eeyo.jp.
_EEYO = _words(
    """
    abashiri abukuma adachi aizu akan aki akita amakusa amami aomori appi arashiyama
    arima asahikawa asakusa asama ashizuri aso asuka atami atsumi awa awaji azumino
    bandai beppu bingo bitchu biwako bizen boso bungo buzen chiba chichibu chikugo
    chikuho chikushi chikuzen chita chokaisan chubu chugoku daisen dazaifu dewa dogo
    dotonbori echigo echizen edo ehime erimo etchu fuji fukui fukuoka fukushima fukuyama
    furano gassan gifu gunma hachijo hachinohe hachioji hagi hakata hakkoda hakodate
    hakone hakuba hakusan hamamatsu happo harajuku harima hida hidaka hiei higo himeji
    hirosaki hiroshima hita hitachi hizen hodaka hokkaido hokuriku houki hyuga ibusuki
    ichihara iga ikaho ikaruga ikebukuro iki imari inaba iriomote ise ishigaki ishikari
    ishikawa ishizuchi iwaki iwami iwashiro iwata iwate iyo izu izuhara izumi izumo
    joetsu kaga kagawa kagoshima kai kamakura kamikochi kanazawa kanto karatsu karuizawa
    kashima kashiwa kasukabe katsuyama kawachi kawasaki kazusa kichijoji kii kinki
    kinugawa kirigamine kirishima kiso kitakata kitakyushu kitami kiyosato kobe kochi
    kofu koga koiwai konpira kotohira kozuke kuju kumagaya kumamoto kumano kunisaki
    kurama kurashiki kurobe kurume kusatsu kushiro kyoto kyushu matsue matsumoto
    matsusaka matsushima mie mikawa mimasaka minakami mino mito miura miyagi miyajima
    miyako miyazaki mogami muroran muroto musashi mutsu myoko nada naeba nagano nagaoka
    nagara nagasaki nagato nagoya naniwa nara narashino naruto nasu nemuro nerima nigata
    nikko noboribetsu noda noto nozawa numazu obihiro oga ogasawara ohara ohu oita
    okayama oki okinawa omi omiya onomichi osaka osumi otaru owari oze rikuchu rikuzen
    rokko ryukyu sado saga sagami saitama sakai sanin sanriku sanuki sanyo sapporo
    sasebo sata satsuma sendai setagaya setouchi settu shakotan shibuya shiga shikoku
    shikotsu shima shimane shimanto shimizu shimokita shimotsuke shimousa shinagawa
    shinano shinjuku shiobara shirahama shirakami shiretoko shizuoka shonai shonan
    sodegaura soya suo suruga suzuka tajima takachiho takamatsu takayama tama tanba
    tango tanzawa tateshina tateyama tazawako tochigi togakushi tohoku toi tokachi tokai
    tokorozawa tokushima tokyo tone tono tosa tosu totoumi tottori towada toya toyama
    toyohashi tsuchiura tsugaike tsugaru tsukuba tsumagoi tsushima tsuwano tsuyama ueno
    ugo uji umeda unzen uonuma urawa uwa uzen wakasa wakayama wakkanai yaeyama yakushima
    yamagata yamaguchi yamanashi yamashiro yamato yodogawa yokohama yoron yoshino yufuin
    yuzawa zao
"""
)

BIGLOBE_DOMAINS: list[str] = sorted(
    [f"{n}.biglobe.ne.jp" for n in _BIGLOBE_AND_MEMAIL + _BIGLOBE_ONLY]
    + [f"{n}.memail.jp" for n in _BIGLOBE_AND_MEMAIL]
    + [f"{n}.eeyo.jp" for n in _EEYO]
    + ["memoad.jp", "myad.jp", "de.gozarre.jp", "bazar.de.gozarre.jp"]
)

#: New entries, as keyword arguments of `curate_providers.New`.
PROVIDERS: list[dict[str, Any]] = [
    # ---------------------------------------------------------------- Thunderbird ISPDB
    {
        "id": "smokeofanarchy.ru",
        "name": "Smoke of Anarchy Mail",
        "domains": ["smokeofanarchy.ru"],
        "servers": "imap imaps.smokeofanarchy.ru 993 tls; pop3 pop3s.smokeofanarchy.ru 995 tls; "
        "smtp submission.smokeofanarchy.ru 587 starttls; "
        "smtp submissions.smokeofanarchy.ru 465 tls; smtp smtps.smokeofanarchy.ru 465 tls; "
        "imap imap.smokeofanarchy.ru 143 plain; pop3 pop3.smokeofanarchy.ru 110 plain",
        "source": _autoconfig("smokeofanarchy.ru"),
        "hints": [PLAIN_HINT],
        "sources": _ispdb("smokeofanarchy.ru.xml"),
    },
    {
        "id": "tugraz",
        "name": "TU Graz (staff mail)",
        "domains": ["tugraz.at"],
        "servers": "imap sbox.tugraz.at 993 tls; smtp mailrelay.tugraz.at 587 starttls",
        "source": "https://email.tugraz.at/zugangsdaten/#faq694",
        "docs": ["https://email.tugraz.at/zugangsdaten/#faq694"],
        "user": None,
        "hints": ["Sign in with your TU Graz user name rather than the e-mail address."],
        "sources": _ispdb("tugraz.at.xml"),
    },
    {
        "id": "infn-torino",
        "name": "INFN Sezione di Torino",
        "domains": ["to.infn.it"],
        "servers": "imap mail-to.infn.it 993 tls; smtp mail-to.infn.it 587 starttls",
        "source": "https://wiki.to.infn.it/doku.php?id=calcolo:news:impostazioni_imap_smtp",
        "docs": ["https://wiki.to.infn.it/doku.php?id=calcolo:news:impostazioni_imap_smtp"],
        "sources": _ispdb("to.infn.it.xml"),
    },
    {
        "id": "whosts.pl",
        "name": "whosts.pl (Poland)",
        "domains": ["whosts.pl"],
        "servers": "imap imap.whosts.pl 993 tls; pop3 pop3.whosts.pl 995 tls; "
        "smtp smtp.whosts.pl 587 starttls; smtp smtp.whosts.pl 465 tls",
        "source": _autoconfig("whosts.pl"),
        "sources": _ispdb("whosts.pl.xml"),
    },
    {
        "id": "cchang.de",
        "name": "cchang.de",
        "domains": ["cchang.de"],
        "servers": "imap mail.34555.net 993 tls; smtp mail.34555.net 465 tls",
        "source": _autoconfig("cchang.de"),
        "sources": _ispdb("cchang.de.xml"),
    },
    # ---------------------------------------------------------------- Delta Chat
    {
        "id": "sdf.org",
        "name": "SDF Public Access UNIX System",
        "domains": ["sdf.org"],
        "servers": "imap mx.sdf.org 993 tls",
        "source": _delta("sdf.org"),
        "status": "preparation",
        "user": "%EMAILLOCALPART%",
        "hints": [
            "Before a mail program can send, create an SMTP AUTH secret in the SDF shell "
            "(see SDF's SMTP authentication tutorial); the IMAP login is the SDF user name."
        ],
        "docs": ["https://sdf.org/?tutorials/smtpauth"],
        "website": "https://sdf.org",
        "sources": _deltachat("sdf.org.md"),
    },
    {
        "id": "strato-nl",
        "name": "Strato (strato.com)",
        "domains": ["strato.com"],
        "servers": "imap imap.strato.com 993 tls; smtp smtp.strato.com 587 tls",
        "source": _delta("strati.com"),
        "website": "https://strato.nl/",
        "sources": _deltachat("strati.com.md"),
    },
    {
        "id": "bitmessage.ch",
        "name": "Bitmessage Mail Gateway",
        "domains": ["bitmessage.ch"],
        "servers": "imap mail.bitmessage.ch 993 tls; smtp mail.bitmessage.ch 465 tls",
        "source": _delta("bitmessage.ch"),
        "hints": [
            "The gateway stopped accepting new accounts in April 2019; existing accounts "
            "were reported working, with the servers entered by hand."
        ],
        "website": "https://bitmessage.ch",
        "sources": _deltachat("bitmessage.ch.md"),
    },
    {
        "id": "dubby.org",
        "name": "dubby.org",
        "domains": ["dubby.org"],
        "servers": "",
        "source": _delta("dubby.org"),
        "website": "https://dubby.org",
        "sources": _deltachat("dubby.org.md"),
    },
]

#: Domains the upstream files list for providers we already have.
EXTRA_DOMAINS: dict[str, list[str]] = {
    # ispdb/charter.com.xml lists charter.com next to charter.net.
    "charter.net": ["charter.com"],
    # ispdb/ionos.* (legacy files without .xml): brand and mail-exchanger domains.
    "ionos-de": ["ionos.de"],
    "ionos-us": ["ionos.com", "1and1.com", "perfora.net"],
    "ionos-uk": ["ionos.co.uk", "1and1.co.uk", "oneandone.co.uk"],
    "ionos-es": ["ionos.es", "1and1.es", "clienteservidor.es"],
    "ionos-fr": ["ionos.fr", "1and1.fr", "unetun.com"],
    "ionos-it": ["ionos.it", "1and1.it", "servercliente.it"],
    # deltachat _providers/blindzeln.de.md spells the first domain correctly; the
    # snapshot's "delta.blinzeln.de" lacks a "d".
    "blindzeln.org": ["delta.blindzeln.de"],
    # thunderbird/autoconfig v1.1/myad.jp (see BIGLOBE_DOMAINS above).
    "biglobe.ne.jp": BIGLOBE_DOMAINS,
}

#: Endpoints the upstream files list beyond our entries.
EXTRA_SERVERS: dict[str, list[str]] = {
    "charter.net": ["imap imap.charter.net 143 plain"],
    "ionos-de": ["imap imap.ionos.de 143 starttls", "pop3 pop.ionos.de 110 starttls"],
    "ionos-us": ["imap imap.ionos.com 143 starttls", "pop3 pop.ionos.com 110 starttls"],
    "ionos-uk": ["imap imap.ionos.co.uk 143 starttls", "pop3 pop.ionos.co.uk 110 starttls"],
    "ionos-es": ["imap imap.ionos.es 143 starttls", "pop3 pop.ionos.es 110 starttls"],
    "ionos-fr": ["imap imap.ionos.fr 143 starttls", "pop3 pop.ionos.fr 110 starttls"],
    "ionos-it": ["imap imap.ionos.it 143 starttls", "pop3 pop.ionos.it 110 starttls"],
    # ispdb/vivaldi.net.xml: implicit-TLS ports and POP3 next to the STARTTLS ones we had.
    "vivaldi": [
        "imap imap.vivaldi.net 993 tls",
        "pop3 pop3.vivaldi.net 995 tls",
        "pop3 pop3.vivaldi.net 110 starttls",
        "smtp smtp.vivaldi.net 465 tls",
    ],
    # ispdb/freenet.de.xml: POP3.
    "freenet": ["pop3 mx.freenet.de 995 tls"],
    # ispdb/mailbox.org.xml: the STARTTLS ports of IMAP and POP3.
    "mailbox-org": ["imap imap.mailbox.org 143 starttls", "pop3 pop3.mailbox.org 110 starttls"],
    # deltachat _providers/riseup.net.md (checked 2023-11): the imap./smtp. host names.
    "riseup.net": ["imap imap.riseup.net 993 tls", "smtp smtp.riseup.net 465 tls"],
    # deltachat _providers/daleth.cafe.md: chatmail's IMAP and SMTP over port 443.
    "daleth.cafe": ["imap daleth.cafe 443 tls", "smtp daleth.cafe 443 tls"],
}


#: Attribution for the facts above that were added to existing entries.
EXTRA_SOURCES: dict[str, list[str]] = {
    **{
        f"ionos-{country}": _ispdb(f"ionos.{tld}")
        for country, tld in (
            ("de", "de"),
            ("us", "com"),
            ("uk", "co.uk"),
            ("es", "es"),
            ("fr", "fr"),
            ("it", "it"),
        )
    },
    "charter.net": _ispdb("charter.com.xml"),
    "vivaldi": _ispdb("vivaldi.net.xml"),
    "freenet": _ispdb("freenet.de.xml"),
    "mailbox-org": _ispdb("mailbox.org.xml"),
    "riseup.net": _deltachat("riseup.net.md"),
    "daleth.cafe": _deltachat("daleth.cafe.md"),
    "blindzeln.org": _deltachat("blindzeln.de.md"),
    "biglobe.ne.jp": ["ispdb (upstream thunderbird/autoconfig): v1.1/myad.jp"],
}

#: The IONOS help page each ispdb/ionos.* file links to (its `documentation` element).
SOURCE_URLS: dict[str, str] = {
    "ionos-de": "https://www.ionos.de/hilfe/index.php?id=2490",
    "ionos-us": "https://www.ionos.com/help/index.php?id=2490",
    "ionos-uk": "https://www.ionos.co.uk/help/index.php?id=2490",
    "ionos-es": "https://www.ionos.es/ayuda/index.php?id=2490",
    "ionos-fr": "https://www.ionos.fr/assistance/index.php?id=2490",
    "ionos-it": "https://www.ionos.it/aiuto/index.php?id=2490",
}
