/*
 * Scenario "webshell": one capture per webshell manager variant, each an
 * attacker driving a planted shell over a few kept-alive connections, and
 * manifest-webshell.json with the family, variant and request count of each.
 *
 * The shapes follow the managers' public descriptions (their documentation
 * and published traffic analyses); ciphertext is random bytes of the right
 * length and framing, since no detector can (or should) decrypt it:
 *   - Godzilla: the base64 variants post `pass=base64(ct)` and frame each
 *     answer in the two halves of an md5; the raw variants post the
 *     ciphertext itself and answer with ciphertext. The first request of a
 *     session carries the whole payload and gets an empty answer and a
 *     session cookie, which the client sends back with a trailing ';'.
 *     Default Firefox 84 user agent and Accept header. PHP encrypts with a
 *     16-byte XOR key, Java and C# with AES-128.
 *   - Behinder v4: every request carries the whole payload code, encrypted
 *     by the chosen transport: AES (base64 or raw), XOR with the 16-byte key
 *     (raw or base64), the base64 ciphertext inside a JSON document, or the
 *     ciphertext appended to an image. The answer is the encrypted JSON
 *     result, wrapped the same way. Fixed Accept header per language.
 *   - AntSword: the ASPX default encoder sends a JScript.NET eval of base64
 *     code between random markers; the JSP shell receives a compiled class
 *     (base64, or hex with the hex encoder) and arguments in random names.
 *   - China Chopper ASPX: the same ->| |<- framing as PHP around a
 *     JScript.NET eval of base64 code, arguments in z1, z2.
 */
#include "gen-scenarios.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "threatatlas/json.h"

#include "common/banned.h"

#define SEC 1000000ull
#define MS  1000ull

enum ws_kind {
    GZ_PHP_XOR_B64,
    GZ_PHP_XOR_RAW,
    GZ_JAVA_AES_B64,
    GZ_JAVA_AES_RAW,
    GZ_CS_AES_B64,
    GZ_CS_AES_RAW,
    BH_AES_B64,
    BH_AES_RAW,
    BH_XOR,
    BH_XOR_B64,
    BH_JSON,
    BH_IMAGE,
    AS_ASPX,
    AS_JSP,
    AS_JSP_HEX,
    CC_ASPX,
};

struct ws_variant {
    enum ws_kind kind;
    const char *family, *variant, *path;
};

static const struct ws_variant variants[] = {
    {GZ_PHP_XOR_B64, "godzilla", "php-xor-base64", "/uploads/img.php"},
    {GZ_PHP_XOR_RAW, "godzilla", "php-xor-raw", "/uploads/img.php"},
    {GZ_JAVA_AES_B64, "godzilla", "java-aes-base64", "/static/ok.jsp"},
    {GZ_JAVA_AES_RAW, "godzilla", "java-aes-raw", "/static/ok.jsp"},
    {GZ_CS_AES_B64, "godzilla", "csharp-aes-base64", "/aspnet_client/ok.aspx"},
    {GZ_CS_AES_RAW, "godzilla", "csharp-aes-raw", "/aspnet_client/ok.aspx"},
    {BH_AES_B64, "behinder", "aes-base64", "/images/shell.php"},
    {BH_AES_RAW, "behinder", "aes-raw", "/images/shell.jsp"},
    {BH_XOR, "behinder", "xor", "/images/shell.php"},
    {BH_XOR_B64, "behinder", "xor-base64", "/images/shell.php"},
    {BH_JSON, "behinder", "json", "/images/shell.php"},
    {BH_IMAGE, "behinder", "image", "/images/shell.php"},
    {AS_ASPX, "antsword", "aspx", "/upload/ant.aspx"},
    {AS_JSP, "antsword", "jsp", "/upload/ant.jsp"},
    {AS_JSP_HEX, "antsword", "jsp-hex", "/upload/ant.jsp"},
    {CC_ASPX, "china-chopper", "aspx", "/upload/cc.aspx"},
};

#define NVARIANTS     (sizeof(variants) / sizeof(variants[0]))
#define SESSIONS      3
#define REQS_PER_SESS 12

struct wsgen {
    const struct tg_gen_opts *o;
    struct tg_rng rng;
    struct tg_ctx c;
    struct tg_pcap *pcap;
    char key[17]; /* the shell's key: the first half of an md5 in hex */
    char md5[33]; /* Godzilla's md5(pass + key), framing its answers */
};

static const char firefox_ua[] =
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:84.0) Gecko/20100101 Firefox/84.0";
static const char firefox_accept[] =
    "text/html,application/xhtml+xml,application/xml;q=0.9,image/webp,*/*;q=0.8";
static const char bh_accept_php[] = "application/json, text/javascript, */*; q=0.01";
static const char bh_accept_java[] = "text/html,image/gif, image/jpeg, *; q=.2, */*; q=.2";
static const char chrome_ua[] = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
                                "(KHTML, like Gecko) Chrome/99.0.4844.51 Safari/537.36";

static bool is_godzilla(enum ws_kind k)
{
    return k <= GZ_CS_AES_RAW;
}

static void random_hex(struct tg_rng *r, char *out, size_t n)
{
    for (size_t i = 0; i < n; i++)
        out[i] = "0123456789abcdef"[tg_rng_below(r, 16)];
    out[n] = '\0';
}

/* Behinder's PHP payload text: code with its arguments base64 inside. */
static void behinder_plain(struct tg_rng *r, struct tg_buf *b, size_t n)
{
    tg_buf_str(b,
               "@error_reporting(0);\nfunction main($content)\n{\n\t$result = array();\n"
               "\t$result[\"status\"] = base64_encode(\"success\");\n\t$result[\"msg\"] = "
               "base64_encode($content);\n\techo encrypt(json_encode($result));\n}\n$content=\"");
    uint8_t raw[48];
    while (b->len + 70 < n) {
        tg_rng_bytes(r, raw, sizeof(raw));
        tg_buf_base64(b, raw, sizeof(raw));
    }
    tg_buf_str(b, "\";\n$content=base64_decode($content);\nmain($content);");
}

static void xor_key(const struct wsgen *g, uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        p[i] ^= (uint8_t)g->key[(i + 1) & 15];
}

/* XOR t with the key into out, as such or base64 (Behinder's xor / xor_base64). */
static void xor_out(const struct wsgen *g, struct tg_buf *t, bool b64, struct tg_buf *out)
{
    xor_key(g, t->p, t->len);
    if (b64)
        tg_buf_base64(out, t->p, t->len);
    else
        tg_buf_put(out, t->p, t->len);
}

/* Behinder's answer: the encrypted {"status":..,"msg":..} JSON. */
static void behinder_result(struct wsgen *g, struct tg_buf *b)
{
    uint8_t raw[60];
    tg_rng_bytes(&g->rng, raw, sizeof(raw));
    tg_buf_str(b, "{\"status\":\"c3VjY2Vzcw==\",\"msg\":\"");
    tg_buf_base64(b, raw, (size_t)tg_rng_range(&g->rng, 20, 60));
    tg_buf_str(b, "\"}");
}

/* A tiny PNG (signature, IHDR, IDAT, IEND) Behinder's image transport hides data behind. */
static void png_image(struct tg_rng *r, struct tg_buf *b)
{
    static const uint8_t head[] = {0x89, 'P', 'N', 'G', 0x0d, 0x0a, 0x1a, 0x0a, 0,    0,    0,
                                   13,   'I', 'H', 'D', 'R',  0,    0,    0,    16,   0,    0,
                                   0,    16,  8,   2,   0,    0,    0,    0x90, 0x91, 0x68, 0x36,
                                   0,    0,   0,   64,  'I',  'D',  'A',  'T'};
    tg_buf_put(b, head, sizeof(head));
    tg_buf_random(b, r, 68);
    static const uint8_t iend[] = {0, 0, 0, 0, 'I', 'E', 'N', 'D', 0xae, 0x42, 0x60, 0x82};
    tg_buf_put(b, iend, sizeof(iend));
}

/* A compiled class: magic, version, then a constant pool (random stand-in). */
static void java_class(struct tg_rng *r, struct tg_buf *b, size_t n)
{
    static const uint8_t head[] = {0xca, 0xfe, 0xba, 0xbe, 0, 0, 0, 50};
    tg_buf_put(b, head, sizeof(head));
    tg_buf_u16(b, (uint16_t)tg_rng_range(r, 80, 200));
    tg_buf_str(b, "\x01\x00\x06<init>\x01\x00\x03()V\x01\x00\x04Code\x01\x00\x06equals");
    tg_buf_random(b, r, n);
}

static void rand_param(struct tg_rng *r, char *out)
{
    out[0] = '0';
    out[1] = 'x';
    random_hex(r, out + 2, 6);
}

/* The request body and its Content-Type for request q of a session. */
static const char *request_body(struct wsgen *g, enum ws_kind k, unsigned q, struct tg_buf *out)
{
    struct tg_rng *r = &g->rng;
    struct tg_buf t = {0};
    const char *ctype = "application/x-www-form-urlencoded";
    bool first = q == 0;
    switch (k) {
    case GZ_PHP_XOR_B64:
    case GZ_JAVA_AES_B64:
    case GZ_CS_AES_B64: {
        size_t n = first ? (size_t)tg_rng_range(r, 18000, 30000) : (size_t)tg_rng_range(r, 40, 400);
        if (k != GZ_PHP_XOR_B64)
            n = (n + 15) / 16 * 16;
        tg_buf_random(&t, r, n);
        struct tg_buf b64 = {0};
        tg_buf_base64(&b64, t.p, t.len);
        tg_buf_str(out, "pass=");
        tg_buf_urlenc(out, (const char *)b64.p, b64.len);
        tg_buf_release(&b64);
        break;
    }
    case GZ_PHP_XOR_RAW:
        /* The first request is the payload's PHP source under the XOR key;
         * later ones gzip-compressed arguments, random-looking. */
        if (first) {
            behinder_plain(r, &t, (size_t)tg_rng_range(r, 18000, 30000));
            xor_key(g, t.p, t.len);
        } else {
            tg_buf_random(&t, r, (size_t)tg_rng_range(r, 40, 400));
        }
        tg_buf_put(out, t.p, t.len);
        break;
    case GZ_JAVA_AES_RAW:
    case GZ_CS_AES_RAW: {
        size_t n = first ? (size_t)tg_rng_range(r, 12000, 24000) : (size_t)tg_rng_range(r, 40, 400);
        tg_buf_random(out, r, (n + 15) / 16 * 16);
        break;
    }
    case BH_AES_B64:
    case BH_AES_RAW:
    case BH_JSON:
    case BH_IMAGE: {
        size_t n = (size_t)tg_rng_range(r, 2000, 9000) / 16 * 16;
        tg_buf_random(&t, r, n);
        if (k == BH_AES_RAW) {
            tg_buf_put(out, t.p, t.len);
            ctype = "application/octet-stream";
        } else if (k == BH_AES_B64) {
            tg_buf_base64(out, t.p, t.len);
        } else if (k == BH_JSON) {
            char id[9];
            random_hex(r, id, 8);
            tg_buf_printf(out, "{\"id\":\"%s\",\"body\":{\"user\":\"", id);
            tg_buf_base64(out, t.p, t.len);
            tg_buf_str(out, "\"}}");
            ctype = "application/json";
        } else {
            png_image(r, out);
            tg_buf_put(out, t.p, t.len);
            ctype = "image/png";
        }
        break;
    }
    case BH_XOR:
    case BH_XOR_B64:
        behinder_plain(r, &t, (size_t)tg_rng_range(r, 2000, 9000));
        xor_out(g, &t, k == BH_XOR_B64, out);
        break;
    case AS_ASPX: {
        char s[8], e[8], p[9];
        tg_rng_alnum(r, s, 6);
        s[6] = '\0';
        tg_rng_alnum(r, e, 6);
        e[6] = '\0';
        rand_param(r, p);
        tg_buf_printf(&t,
                      "var D=System.Text.Encoding.GetEncoding(\"UTF-8\").GetString(System."
                      "Convert.FromBase64String(Request.Item[\"%s\"].substr(2)));var m=new "
                      "System.IO.DirectoryInfo(D);var s=m.GetDirectories();var P:String;var "
                      "i;for(i in s){Response.Write(s[i].Name+\"/\\t\");}",
                      p);
        struct tg_buf b64 = {0};
        tg_buf_base64(&b64, t.p, t.len);
        tg_buf_reset(&t);
        tg_buf_printf(&t,
                      "Response.Write(\"%s\");try{eval(System.Text.Encoding.GetEncoding("
                      "\"UTF-8\").GetString(System.Convert.FromBase64String(\"%.*s\")),"
                      "\"unsafe\");}catch(err){Response.Write(\"ERROR:// \"+err.message);}"
                      "Response.Write(\"%s\");Response.End();",
                      s, (int)b64.len, (const char *)b64.p, e);
        tg_buf_str(out, "ant=");
        tg_buf_urlenc(out, (const char *)t.p, t.len);
        tg_buf_reset(&b64);
        tg_buf_printf(out, "&%s=", p);
        tg_buf_str(&b64, "Xy");
        tg_buf_base64(&b64, (const uint8_t *)"C:\\inetpub\\wwwroot\\", 19);
        tg_buf_urlenc(out, (const char *)b64.p, b64.len);
        tg_buf_release(&b64);
        break;
    }
    case AS_JSP:
    case AS_JSP_HEX: {
        char p[9];
        rand_param(r, p);
        java_class(r, &t, (size_t)tg_rng_range(r, 1500, 4000));
        tg_buf_str(out, "ant=");
        if (k == AS_JSP) {
            struct tg_buf b64 = {0};
            tg_buf_base64(&b64, t.p, t.len);
            tg_buf_urlenc(out, (const char *)b64.p, b64.len);
            tg_buf_release(&b64);
        } else {
            for (size_t i = 0; i < t.len; i++)
                tg_buf_printf(out, "%02x", t.p[i]);
        }
        tg_buf_printf(out, "&%s=", p);
        struct tg_buf a = {0};
        tg_buf_str(&a, "Qm");
        tg_buf_base64(&a, (const uint8_t *)"/usr/local/tomcat/webapps/", 26);
        tg_buf_urlenc(out, (const char *)a.p, a.len);
        tg_buf_release(&a);
        break;
    }
    case CC_ASPX: {
        static const char code[] =
            "var D=System.Text.Encoding.GetEncoding(65001).GetString(System.Convert."
            "FromBase64String(Request.Item[\"z1\"]));var m=new System.IO.DirectoryInfo(D);"
            "var s=m.GetDirectories();var P:String;var i;for(i in s){Response.Write(s[i]."
            "Name+\"/\\t\");}";
        struct tg_buf b64 = {0};
        tg_buf_base64(&b64, (const uint8_t *)code, strlen(code));
        tg_buf_printf(&t,
                      "Response.Write(\"->|\");var err:Exception;try{eval(System.Text."
                      "Encoding.GetEncoding(65001).GetString(System.Convert.FromBase64String("
                      "\"%.*s\")),\"unsafe\");}catch(err){Response.Write(\"ERROR:// \"+err."
                      "message);}Response.Write(\"|<-\");Response.End();",
                      (int)b64.len, (const char *)b64.p);
        tg_buf_str(out, "chopper=");
        tg_buf_urlenc(out, (const char *)t.p, t.len);
        tg_buf_reset(&b64);
        tg_buf_base64(&b64, (const uint8_t *)"C:\\inetpub\\wwwroot\\", 19);
        tg_buf_str(out, "&z1=");
        tg_buf_urlenc(out, (const char *)b64.p, b64.len);
        tg_buf_release(&b64);
        break;
    }
    }
    tg_buf_release(&t);
    return ctype;
}

static void response_body(struct wsgen *g, enum ws_kind k, unsigned q, struct tg_buf *out)
{
    struct tg_rng *r = &g->rng;
    struct tg_buf t = {0};
    if (is_godzilla(k) && q == 0)
        return; /* the payload is only stored in the session */
    switch (k) {
    case GZ_PHP_XOR_B64:
    case GZ_JAVA_AES_B64:
    case GZ_CS_AES_B64: {
        size_t n = (size_t)tg_rng_range(r, 32, 600);
        if (k != GZ_PHP_XOR_B64)
            n = (n + 15) / 16 * 16;
        tg_buf_random(&t, r, n);
        tg_buf_put(out, g->md5, 16);
        tg_buf_base64(out, t.p, t.len);
        tg_buf_put(out, g->md5 + 16, 16);
        break;
    }
    case GZ_PHP_XOR_RAW:
        tg_buf_random(out, r, (size_t)tg_rng_range(r, 32, 600));
        break;
    case GZ_JAVA_AES_RAW:
    case GZ_CS_AES_RAW:
        tg_buf_random(out, r, (size_t)tg_rng_range(r, 2, 40) * 16);
        break;
    case BH_AES_B64:
    case BH_AES_RAW:
    case BH_JSON:
    case BH_IMAGE:
        tg_buf_random(&t, r, (size_t)tg_rng_range(r, 3, 20) * 16);
        if (k == BH_AES_RAW) {
            tg_buf_put(out, t.p, t.len);
        } else if (k == BH_AES_B64) {
            tg_buf_base64(out, t.p, t.len);
        } else if (k == BH_JSON) {
            tg_buf_str(out, "{\"id\":\"1\",\"body\":{\"data\":\"");
            tg_buf_base64(out, t.p, t.len);
            tg_buf_str(out, "\"}}");
        } else {
            png_image(r, out);
            tg_buf_put(out, t.p, t.len);
        }
        break;
    case BH_XOR:
    case BH_XOR_B64:
        behinder_result(g, &t);
        xor_out(g, &t, k == BH_XOR_B64, out);
        break;
    case AS_ASPX:
    case AS_JSP:
    case AS_JSP_HEX: {
        char a[8], b[8];
        tg_rng_alnum(r, a, 6);
        tg_rng_alnum(r, b, 6);
        tg_buf_put(out, a, 6);
        tg_buf_str(out, "bin/\tlogs/\tuploads/\t");
        tg_buf_put(out, b, 6);
        break;
    }
    case CC_ASPX:
        tg_buf_str(out, "->|bin/\taspnet_client/\tupload/\t|<-");
        break;
    }
    tg_buf_release(&t);
}

static const char *session_cookie(enum ws_kind k)
{
    if (k == GZ_JAVA_AES_B64 || k == GZ_JAVA_AES_RAW)
        return "JSESSIONID";
    if (k == GZ_CS_AES_B64 || k == GZ_CS_AES_RAW)
        return "ASP.NET_SessionId";
    return "PHPSESSID";
}

static ta_err one_session(struct wsgen *g, const struct ws_variant *v, uint32_t att, uint32_t site,
                          ta_time_us t, unsigned *nreq)
{
    struct tg_ctx *c = &g->c;
    struct tg_rng *r = &g->rng;
    struct tg_tcp_sess *s =
        tg_tcp_start(c, t, att, site, 80, (uint32_t)tg_rng_range(r, 30 * MS, 90 * MS), 112, 63);
    ta_err e = tg_tcp_sess_open(s);
    struct tg_buf body = {0}, resp = {0};
    char sid[33];
    random_hex(r, sid, 32);
    bool gz = is_godzilla(v->kind);
    for (unsigned q = 0; q < REQS_PER_SESS && e == TA_OK; q++) {
        tg_buf_reset(&body);
        tg_buf_reset(&resp);
        const char *ctype = request_body(g, v->kind, q, &body);
        const char *ua = chrome_ua, *accept = "*/*";
        if (gz) {
            ua = firefox_ua;
            accept = firefox_accept;
        } else if (v->kind == BH_AES_RAW) {
            accept = bh_accept_java;
        } else if (v->kind >= BH_AES_B64 && v->kind <= BH_IMAGE) {
            accept = bh_accept_php;
        } else if (v->kind == AS_ASPX || v->kind == AS_JSP || v->kind == AS_JSP_HEX) {
            ua = "Mozilla/5.0 (Windows NT 6.1; WOW64; rv:52.0) Gecko/20100101 Firefox/52.0";
        }
        char cookie[96] = "";
        if (gz && q > 0)
            snprintf(cookie, sizeof(cookie), "Cookie: %s=%s;\r\n", session_cookie(v->kind), sid);
        tg_buf_reset(&c->a);
        tg_buf_printf(&c->a,
                      "POST %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: %s\r\nAccept: %s\r\n"
                      "Accept-Language: zh-CN,zh;q=0.8,en-US;q=0.5,en;q=0.3\r\n%s"
                      "Content-Type: %s\r\nContent-Length: %zu\r\nConnection: keep-alive\r\n\r\n",
                      v->path, "www.example-shop.cn", ua, accept, cookie, ctype, body.len);
        tg_buf_put(&c->a, body.p, body.len);
        e = tg_tcp_sess_send(s, true, c->a.p, c->a.len);
        response_body(g, v->kind, q, &resp);
        char setc[96] = "";
        if (gz && q == 0)
            snprintf(setc, sizeof(setc), "Set-Cookie: %s=%s; path=/\r\n", session_cookie(v->kind),
                     sid);
        tg_buf_reset(&c->b);
        tg_buf_printf(&c->b,
                      "HTTP/1.1 200 OK\r\nServer: nginx\r\n%sContent-Type: text/html; "
                      "charset=UTF-8\r\nContent-Length: %zu\r\n\r\n",
                      setc, resp.len);
        tg_buf_put(&c->b, resp.p, resp.len);
        if (e == TA_OK)
            e = tg_tcp_sess_send(s, false, c->b.p, c->b.len);
        tg_tcp_sess_wait(s, tg_rng_range(r, 300 * MS, 4 * SEC));
        (*nreq)++;
    }
    tg_buf_release(&body);
    tg_buf_release(&resp);
    if (e == TA_OK)
        e = tg_tcp_sess_close(s, true);
    return e;
}

static ta_err one_variant(struct wsgen *g, struct tg_geo *geo, const struct ws_variant *v,
                          struct ta_json *j)
{
    char name[96], path[4096];
    snprintf(name, sizeof(name), "webshell-%s-%s.pcap", v->family, v->variant);
    snprintf(path, sizeof(path), "%s/%s", g->o->out, name);
    struct tg_pcap_opts po = {.linktype = TG_LINK_ETH, .snaplen = 65535};
    ta_err e = tg_pcap_open(&g->pcap, path, &po);
    if (e != TA_OK)
        return e;
    if (g->c.sink == NULL) {
        e = tg_sink_new(&g->c.sink, g->pcap);
        if (e == TA_OK)
            tg_sink_set_shift(g->c.sink, g->o->shift_us);
    } else {
        tg_sink_set_writer(g->c.sink, g->pcap);
    }
    uint32_t att = 0, site = 0;
    if (e == TA_OK)
        e = tg_geo_draw(geo, &g->rng, "KR", &att);
    if (e == TA_OK)
        e = tg_geo_draw(geo, &g->rng, "CN", &site);
    random_hex(&g->rng, g->key, 16);
    random_hex(&g->rng, g->md5, 32);
    unsigned nreq = 0;
    ta_time_us t = g->o->from + 9 * 3600 * SEC;
    for (unsigned si = 0; si < SESSIONS && e == TA_OK; si++) {
        e = one_session(g, v, att, site, t, &nreq);
        t += 20 * 60 * SEC;
    }
    ta_err fe = g->c.sink != NULL ? tg_sink_flush(g->c.sink, UINT64_MAX) : TA_OK;
    ta_err ce = tg_pcap_close(g->pcap);
    g->pcap = NULL;
    if (e == TA_OK)
        e = fe != TA_OK ? fe : ce;
    char ip[16];
    ta_json_obj_open(j);
    ta_json_kv_str(j, "file", name);
    ta_json_kv_str(j, "family", v->family);
    ta_json_kv_str(j, "variant", v->variant);
    ta_json_kv_str(j, "url", v->path);
    ta_json_kv_str(j, "attacker", tg_ip4_str(att, ip));
    ta_json_kv_str(j, "website", tg_ip4_str(site, ip));
    ta_json_kv_uint(j, "requests", nreq);
    ta_json_obj_close(j);
    return e;
}

ta_err tg_scenario_webshell(const struct tg_gen_opts *o, struct tg_geo *geo)
{
    struct wsgen g;
    memset(&g, 0, sizeof(g));
    g.o = o;
    tg_rng_seed(&g.rng, o->seed ^ 0x7765627368656c6cull);
    g.c.rng = &g.rng;
    struct ta_json j;
    ta_json_init(&j);
    ta_json_obj_open(&j);
    ta_json_key(&j, "captures");
    ta_json_arr_open(&j);
    ta_err e = TA_OK;
    unsigned made = 0;
    for (size_t i = 0; i < NVARIANTS && e == TA_OK; i++) {
        if (o->family != NULL && strcmp(o->family, variants[i].family) != 0)
            continue;
        if (o->variant != NULL && strcmp(o->variant, variants[i].variant) != 0)
            continue;
        e = one_variant(&g, geo, &variants[i], &j);
        made++;
    }
    ta_json_arr_close(&j);
    ta_json_obj_close(&j);
    if (e == TA_OK && made == 0)
        e = TA_ERR_ARG;
    if (e == TA_OK) {
        char path[4096];
        snprintf(path, sizeof(path), "%s/manifest-webshell.json", o->out);
        FILE *f = fopen(path, "w");
        bool ok = f != NULL && !j.oom && ta_json_write_line(&j, f);
        if (f != NULL)
            ok &= fclose(f) == 0;
        if (!ok)
            e = TA_ERR_IO;
    }
    ta_json_release(&j);
    if (g.c.sink != NULL)
        tg_sink_free(g.c.sink);
    tg_buf_release(&g.c.a);
    tg_buf_release(&g.c.b);
    return e;
}

bool tg_webshell_known(const char *family, const char *variant)
{
    for (size_t i = 0; i < NVARIANTS; i++)
        if ((family == NULL || strcmp(family, variants[i].family) == 0) &&
            (variant == NULL || strcmp(variant, variants[i].variant) == 0))
            return true;
    return false;
}
