/*
 * Phishing content check: an HTML page with a form that collects a password
 * or a payment card, which names a brand (in its title, or at least twice),
 * served from a host that is not one of the brand's own domains. Reported
 * as phishing-suspected: it is a heuristic, kept apart from indicator hits.
 *
 * Part of stage 6 (detect). Pure function, no allocation; reads at most the
 * first 64 KiB of the body.
 */
#include "threatatlas/detect.h"

#include <string.h>

#include "detect/detect-util.h"

#include "common/banned.h"

#define PHISH_SCAN (64u * 1024u)

static const struct ta_phish_brand builtin[] = {
    {"PayPal", "paypal.com,paypal.me,paypalobjects.com"},
    {"Apple ID", "apple.com,icloud.com"},
    {"iCloud", "icloud.com,apple.com"},
    {"Microsoft", "microsoft.com,microsoftonline.com,live.com,office.com,outlook.com"},
    {"Office 365", "office.com,microsoft.com,microsoftonline.com,office365.com"},
    {"Outlook", "outlook.com,live.com,microsoft.com,office.com"},
    {"Google", "google.com,gmail.com,youtube.com"},
    {"Gmail", "gmail.com,google.com"},
    {"Amazon", "amazon.com,amazon.co.uk,amazon.de,amazon.co.jp,amazon.cn,amazon.fr"},
    {"Facebook", "facebook.com,fb.com,meta.com"},
    {"Instagram", "instagram.com"},
    {"Netflix", "netflix.com"},
    {"LinkedIn", "linkedin.com"},
    {"DHL", "dhl.com,dhl.de"},
    {"Wells Fargo", "wellsfargo.com"},
    {"Chase Bank", "chase.com"},
    {"Bank of America", "bankofamerica.com"},
    {"Alipay", "alipay.com"},
    {"Taobao", "taobao.com,tmall.com"},
    {"ICBC", "icbc.com.cn"},
    {"Bank of China", "boc.cn,bankofchina.com"},
    {"China Construction Bank", "ccb.com"},
    {"WeChat", "wechat.com,qq.com"},
    {"Steam", "steampowered.com,steamcommunity.com"},
    {"Dropbox", "dropbox.com"},
    {"DocuSign", "docusign.com,docusign.net"},
};

const struct ta_phish_brand *ta_phish_brands_builtin(size_t *n)
{
    *n = sizeof(builtin) / sizeof(builtin[0]);
    return builtin;
}

static bool alnum(uint8_t c)
{
    return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
}

/* Occurrences of name as a whole word (case-insensitive), up to max. */
static size_t word_count(const uint8_t *b, size_t n, const char *name, size_t max)
{
    size_t m = strlen(name), off = 0, count = 0;
    while (count < max && off < n) {
        long at = ta__detect_ifind(b + off, n - off, name);
        if (at < 0)
            break;
        size_t s = off + (size_t)at, e = s + m;
        if ((s == 0 || !alnum(b[s - 1])) && (e >= n || !alnum(b[e])))
            count++;
        off = s + 1;
    }
    return count;
}

/* host equals one of the comma-separated domains or is a subdomain of one. */
static bool host_owned(const char *host, const char *domains)
{
    size_t hl = strcspn(host, ":"); /* drop a port */
    while (hl > 0 && host[hl - 1] == '.')
        hl--;
    const char *p = domains;
    while (*p) {
        size_t dl = strcspn(p, ",");
        if (dl > 0 && hl >= dl) {
            bool same = true;
            for (size_t i = 0; i < dl && same; i++) {
                uint8_t a = (uint8_t)host[hl - dl + i], b = (uint8_t)p[i];
                if (a >= 'A' && a <= 'Z')
                    a = (uint8_t)(a + 32);
                same = a == b;
            }
            if (same && (hl == dl || host[hl - dl - 1] == '.'))
                return true;
        }
        p += dl;
        if (*p == ',')
            p++;
    }
    return false;
}

static bool has_password_field(const uint8_t *b, size_t n)
{
    return ta__detect_icontains(b, n, "type=\"password\"") ||
           ta__detect_icontains(b, n, "type='password'") ||
           ta__detect_icontains(b, n, "type=password");
}

static bool has_card_field(const uint8_t *b, size_t n)
{
    static const char *const names[] = {"cardnumber", "card_number", "card-number", "ccnumber",
                                        "cc_number",  "name=\"cvv",  "name=\"cvc",  "cc-number"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (ta__detect_icontains(b, n, names[i]))
            return true;
    return false;
}

bool ta_phish_content_check(const char *host, const uint8_t *body, size_t len,
                            const struct ta_phish_brand *brands, size_t nbrands,
                            struct ta_phish_verdict *out)
{
    memset(out, 0, sizeof(*out));
    if (host == NULL || body == NULL || len == 0)
        return false;
    size_t n = len < PHISH_SCAN ? len : PHISH_SCAN;
    if (!ta__detect_icontains(body, n, "<form"))
        return false;
    bool pw = has_password_field(body, n);
    bool card = has_card_field(body, n);
    if (!pw && !card)
        return false;
    /* The title, if any, weighs more than the body. */
    const uint8_t *title = NULL;
    size_t tlen = 0;
    long ts = ta__detect_ifind(body, n, "<title");
    if (ts >= 0) {
        long te = ta__detect_ifind(body + ts, n - (size_t)ts, "</title");
        if (te > 0) {
            title = body + ts;
            tlen = (size_t)te;
        }
    }
    const struct ta_phish_brand *best = NULL;
    bool best_title = false;
    size_t best_count = 0;
    for (size_t i = 0; i < nbrands; i++) {
        bool in_title = title != NULL && word_count(title, tlen, brands[i].name, 1) > 0;
        size_t c = word_count(body, n, brands[i].name, 16);
        if (!in_title && c < 2)
            continue;
        if (best == NULL || (in_title && !best_title) ||
            (in_title == best_title && c > best_count)) {
            best = &brands[i];
            best_title = in_title;
            best_count = c;
        }
    }
    if (best == NULL || host_owned(host, best->domains))
        return false;
    out->brand = best->name;
    out->confidence = best_title ? 70 : 60;
    out->signature = pw ? "Credential form naming a brand on a foreign host"
                        : "Payment form naming a brand on a foreign host";
    return true;
}
