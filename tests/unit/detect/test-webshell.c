/*
 * Unit tests for the webshell request/response analysis: synthetic requests
 * of each family and benign look-alikes, and the real Godzilla/Behinder lab
 * capture (n3tfl0w-webshell-traffic), reassembled here with a minimal
 * in-order TCP/HTTP reader good enough for that capture.
 */
#include "testutil.h"

#include <ctype.h>
#include <strings.h>

#include <pcap/pcap.h>
#include <zlib.h>

#include "threatatlas/detect.h"

static const char b64tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static size_t b64enc(const uint8_t *in, size_t n, char *out)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16;
        if (i + 1 < n)
            v |= (uint32_t)in[i + 1] << 8;
        if (i + 2 < n)
            v |= in[i + 2];
        out[o++] = b64tab[v >> 18 & 63];
        out[o++] = b64tab[v >> 12 & 63];
        out[o++] = i + 1 < n ? b64tab[v >> 6 & 63] : '=';
        out[o++] = i + 2 < n ? b64tab[v & 63] : '=';
    }
    out[o] = 0;
    return o;
}

static void urlenc(const char *in, char *out, size_t cap)
{
    size_t o = 0;
    for (; *in && o + 4 < cap; in++) {
        unsigned char ch = (unsigned char)*in;
        if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
            ch == '_' || ch == '.' || ch == '-') {
            out[o++] = (char)ch;
        } else {
            snprintf(out + o, cap - o, "%%%02X", ch);
            o += 3;
        }
    }
    out[o] = 0;
}

static uint32_t rng_state = 12345;
static uint8_t rnd8(void)
{
    rng_state = rng_state * 1103515245u + 12345u;
    return (uint8_t)(rng_state >> 16);
}

static bool analyze_post(const char *url, const char *body, const char *resp,
                         struct ta_webshell_verdict *v)
{
    struct ta_webshell_input in = {
        .method = "POST",
        .url = url,
        .content_type = "application/x-www-form-urlencoded",
        .req_body = (const uint8_t *)body,
        .req_len = strlen(body),
        .resp_body = (const uint8_t *)resp,
        .resp_len = resp ? strlen(resp) : 0,
        .have_resp = resp != NULL,
    };
    return ta_webshell_analyze(&in, v);
}

static const char chopper_payload[] =
    "@ini_set(\"display_errors\",\"0\");@set_time_limit(0);@set_magic_quotes_runtime(0);"
    "echo(\"->|\");;$D=dirname($_SERVER[\"SCRIPT_FILENAME\"]);echo $D;echo(\"|<-\");die();";
static const char antsword_payload[] =
    "@ini_set(\"display_errors\", \"0\");@set_time_limit(0);$opdir=@ini_get(\"open_basedir\");"
    "function asenc($out){return $out;};echo @asenc(getcwd());die();";

static void test_chopper(void **state)
{
    (void)state;
    struct ta_webshell_verdict v;
    char b64[1024], body[2048];
    b64enc((const uint8_t *)chopper_payload, strlen(chopper_payload), b64);
    char enc[1024];
    urlenc(b64, enc, sizeof(enc));
    snprintf(body, sizeof(body),
             "caidao=%%40eval%%28base64_decode%%28%%24_POST%%5Bz0%%5D%%29%%29%%3B&z0=%s", enc);
    assert_true(analyze_post("/uploads/1.php", body, "->|/var/www|<-", &v));
    assert_int_equal(v.family, TA_WS_CHOPPER);
    assert_int_equal(v.confidence, 95);
    assert_false(v.suspected);
    /* z0/z1 with an eval stub but a payload without the framing. */
    assert_true(analyze_post("/a.asp", "z=eval(base64_decode($_POST[z0]))&z0=aWQ%3D&z1=Lw%3D%3D",
                             NULL, &v));
    assert_int_equal(v.family, TA_WS_CHOPPER);
    assert_int_equal(v.confidence, 90);
    /* Response framing alone. */
    assert_true(analyze_post("/b.php", "x=1", "->|root|<-", &v));
    assert_int_equal(v.family, TA_WS_CHOPPER);
    assert_string_equal(ta_webshell_family_name(v.family), "china-chopper");
}

static void test_antsword(void **state)
{
    (void)state;
    struct ta_webshell_verdict v;
    char enc[2048], body[4096], b64[1024];
    /* Default encoder: the payload in clear under a random name. */
    urlenc(antsword_payload, enc, sizeof(enc));
    snprintf(body, sizeof(body), "k7d2a1=%s", enc);
    assert_true(analyze_post("/shell.php", body, "2fa1a/var/www8c3e", &v));
    assert_int_equal(v.family, TA_WS_ANTSWORD);
    assert_int_equal(v.confidence, 85);
    /* base64 encoder with a two-character random prefix. */
    b64enc((const uint8_t *)antsword_payload, strlen(antsword_payload), b64);
    char pre[1100];
    snprintf(pre, sizeof(pre), "Xq%s", b64);
    urlenc(pre, enc, sizeof(enc));
    snprintf(body, sizeof(body),
             "pass=%%40eval(%%40base64_decode(substr(%%24_POST%%5Bm3%%5D%%2C2)))%%3B&m3=%s", enc);
    assert_true(analyze_post("/shell.php", body, NULL, &v));
    assert_int_equal(v.family, TA_WS_ANTSWORD);
    /* rot13 encoder. */
    char r13[512];
    size_t n = strlen(antsword_payload);
    for (size_t i = 0; i <= n; i++) {
        char ch = antsword_payload[i];
        if (ch >= 'a' && ch <= 'z')
            ch = (char)('a' + (ch - 'a' + 13) % 26);
        else if (ch >= 'A' && ch <= 'Z')
            ch = (char)('A' + (ch - 'A' + 13) % 26);
        r13[i] = ch;
    }
    urlenc(r13, enc, sizeof(enc));
    snprintf(body, sizeof(body), "pass=%%40eval(%%40str_rot13(%%24_POST%%5Bq%%5D))%%3B&q=%s", enc);
    assert_true(analyze_post("/shell.php", body, NULL, &v));
    assert_int_equal(v.family, TA_WS_ANTSWORD);
    /* chr() encoder. */
    char chr[8192];
    size_t o = 0;
    o += (size_t)snprintf(chr, sizeof(chr), "pass=eval(");
    for (size_t i = 0; i < n && o + 16 < sizeof(chr); i++)
        o += (size_t)snprintf(chr + o, sizeof(chr) - o, "%schr(%d)", i ? "." : "",
                              (unsigned char)antsword_payload[i]);
    snprintf(chr + o, sizeof(chr) - o, ");");
    assert_true(analyze_post("/shell.php", chr, NULL, &v));
    assert_int_equal(v.family, TA_WS_ANTSWORD);
    /* 0x-hex argument carrying the preamble. */
    o = (size_t)snprintf(chr, sizeof(chr), "a=1&x0b=0x");
    for (size_t i = 0; i < n; i++)
        o += (size_t)snprintf(chr + o, sizeof(chr) - o, "%02x", (unsigned char)antsword_payload[i]);
    assert_true(analyze_post("/shell.php", chr, NULL, &v));
    assert_int_equal(v.family, TA_WS_ANTSWORD);
    /* The tool's default user agent. */
    struct ta_webshell_input in = {.method = "POST",
                                   .url = "/x.php",
                                   .user_agent = "antSword/v2.1",
                                   .req_body = (const uint8_t *)"cmd=ls",
                                   .req_len = 6};
    assert_true(ta_webshell_analyze(&in, &v));
    assert_int_equal(v.family, TA_WS_ANTSWORD);
    assert_int_equal(v.confidence, 95);
}

/*
 * Classic ASP forms (shapes from the tools' public templates): AntSword's
 * eval("Ex"&cHr(101)&"cute(... with its bd() hex decoder, and China
 * Chopper's Execute with doubled quotes around the ->| framing.
 */
static void test_asp_forms(void **state)
{
    (void)state;
    struct ta_webshell_verdict v;
    char enc[2048], body[4096];
    static const char ant_asp[] =
        "eval(\"Ex\"&cHr(101)&\"cute(\"\"Server.ScriptTimeout=3600:On Error Resume "
        "Next:Function bd(byVal s):For i=1 To Len(s) Step 2:c=Mid(s,i,2):If "
        "IsNumeric(Mid(s,i,1)) Then:Execute(\"\"\"\"bd=bd&chr(&H\"\"\"\"&c&\"\"\"\")\"\"\"\")"
        ":End If\"\"&chr(10)&\"\"Next:End Function\"\")\")";
    urlenc(ant_asp, enc, sizeof(enc));
    snprintf(body, sizeof(body), "pass=%s&x7a1=4F6E204572726F7220526573756D65", enc);
    assert_true(analyze_post("/ant.asp", body, "ok", &v));
    assert_int_equal(v.family, TA_WS_ANTSWORD);
    assert_int_equal(v.confidence, 85);
    assert_false(v.suspected);
    assert_string_equal(v.signature, "AntSword ASP eval payload");
    /* The decoder function alone with Execute (a template without the chr trick). */
    snprintf(body, sizeof(body), "a=%s",
             "Execute(%22Function%20bd(byVal%20s)%3Abd%3Ds%3AEnd%20Function%22)");
    assert_true(analyze_post("/a.asp", body, NULL, &v));
    assert_int_equal(v.family, TA_WS_ANTSWORD);

    static const char chopper_asp[] =
        "Execute(\"Execute(\"\"On Error Resume Next:Response.Write(\"\"->|\"\"):"
        "Dim oFSO:Set oFSO=CreateObject(\"\"Scripting.FileSystemObject\"\"):"
        "Response.Write(\"\"|<-\"\"):Response.End\"\")\")";
    urlenc(chopper_asp, enc, sizeof(enc));
    snprintf(body, sizeof(body), "caidao=%s&z1=QzpcXA%%3D%%3D", enc);
    assert_true(analyze_post("/c.asp", body, NULL, &v));
    assert_int_equal(v.family, TA_WS_CHOPPER);
    assert_int_equal(v.confidence, 95);

    /* An ordinary ASP form naming "execute" is nothing. */
    assert_false(analyze_post("/order.asp", "action=execute(order)&qty=2", "<html>ok</html>", &v));
}

static void test_behinder_godzilla(void **state)
{
    (void)state;
    struct ta_webshell_verdict v;
    uint8_t ct[96];
    for (size_t i = 0; i < sizeof(ct); i++)
        ct[i] = rnd8();
    char b64[256], resp[256];
    b64enc(ct, sizeof(ct), b64);
    b64enc(ct, 48, resp);
    assert_true(analyze_post("/behinder.php", b64, resp, &v));
    assert_int_equal(v.family, TA_WS_BEHINDER);
    assert_int_equal(v.confidence, 80);
    /* With Behinder v3's fixed Accept header. */
    struct ta_webshell_input in = {.method = "POST",
                                   .url = "/shell.jsp",
                                   .content_type = "application/octet-stream",
                                   .accept = "application/json, text/javascript, */*; q=0.01",
                                   .req_body = ct,
                                   .req_len = sizeof(ct)};
    assert_true(ta_webshell_analyze(&in, &v));
    assert_int_equal(v.family, TA_WS_BEHINDER);
    assert_int_equal(v.confidence, 90);
    assert_string_equal(v.signature, "Behinder AES-encrypted raw body");
    /* An empty answer, or no script URL nor Behinder's Accept: suspected only. */
    in.have_resp = true;
    in.resp_len = 0;
    assert_true(ta_webshell_analyze(&in, &v));
    assert_int_equal(v.family, TA_WS_BEHINDER);
    assert_true(v.suspected);
    in.have_resp = false;
    in.accept = "*/*";
    in.url = "/api/v2/upload";
    in.resp_body = (const uint8_t *)resp;
    in.resp_len = strlen(resp);
    in.have_resp = true;
    assert_true(ta_webshell_analyze(&in, &v));
    assert_true(v.suspected);
    /* A binary upload of 96 bytes answered with JSON: nothing. */
    in.resp_body = (const uint8_t *)"{\"ok\":true}";
    in.resp_len = 11;
    assert_false(ta_webshell_analyze(&in, &v));
    /* Not a multiple of the block size: not Behinder. */
    in.req_len = 95;
    in.url = "/upload";
    in.have_resp = false;
    assert_false(ta_webshell_analyze(&in, &v));
    /*
     * Block-sized and valid base64, but no ciphertext: one repeated letter,
     * or the alphabet in order over and over. Neither is Behinder, with no
     * answer or with one (it used to be confirmed at confidence 80).
     */
    static char same[16384 + 1], cycle[4096 + 1];
    memset(same, 'b', 16384);
    for (size_t i = 0; i < 4096; i++)
        cycle[i] = "ABCDEFGHIJKLMNOP"[i % 16];
    struct ta_webshell_verdict w;
    if (analyze_post("/upload.php", same, NULL, &w))
        assert_int_not_equal(w.family, TA_WS_BEHINDER);
    if (analyze_post("/upload.php", cycle, same, &w))
        assert_int_not_equal(w.family, TA_WS_BEHINDER);
    /* The same length of real ciphertext still is. */
    static uint8_t big[12288];
    static char bigb64[16384 + 8];
    for (size_t i = 0; i < sizeof(big); i++)
        big[i] = rnd8();
    b64enc(big, sizeof(big), bigb64);
    assert_true(analyze_post("/upload.php", bigb64, NULL, &w));
    assert_int_equal(w.family, TA_WS_BEHINDER);
    assert_false(w.suspected);
    /* So do 16 bytes of it (24 base64 characters), the smallest body. */
    char small[32];
    b64enc(big, 16, small);
    assert_true(analyze_post("/upload.php", small, NULL, &w));
    assert_int_equal(w.family, TA_WS_BEHINDER);

    /* Godzilla: pass=<base64 of XOR'd bytes>, md5-halves framed response. */
    uint8_t x[40];
    for (size_t i = 0; i < sizeof(x); i++)
        x[i] = (uint8_t)(rnd8() & 0x3f);
    char xb[128], enc[256], body[300];
    b64enc(x, sizeof(x), xb);
    urlenc(xb, enc, sizeof(enc));
    snprintf(body, sizeof(body), "pass=%s", enc);
    char gresp[400];
    snprintf(gresp, sizeof(gresp), "11cd6a8758984163%s6c37ac826a2a04bc", resp);
    assert_true(analyze_post("/godzilla.php", body, gresp, &v));
    assert_int_equal(v.family, TA_WS_GODZILLA);
    assert_int_equal(v.confidence, 95);
    assert_true(analyze_post("/godzilla.php", body, "", &v));
    assert_int_equal(v.family, TA_WS_GODZILLA);
    assert_int_equal(v.confidence, 75);
    /* Behinder v2 key exchange. */
    struct ta_webshell_input kx = {.method = "GET",
                                   .url = "/b.php?pass=742",
                                   .resp_body = (const uint8_t *)"e45e329feb5d925b",
                                   .resp_len = 16,
                                   .have_resp = true};
    assert_true(ta_webshell_analyze(&kx, &v));
    assert_int_equal(v.family, TA_WS_BEHINDER);
}

/* A POST of raw bytes with the given headers and answer. */
static bool analyze_raw(const char *url, const uint8_t *body, size_t n, const uint8_t *resp,
                        size_t rn, bool have_resp, const char *ua, const char *accept,
                        const char *cookie, struct ta_webshell_verdict *v)
{
    struct ta_webshell_input in = {
        .method = "POST",
        .url = url,
        .content_type = "application/octet-stream",
        .user_agent = ua,
        .accept = accept,
        .cookie = cookie,
        .req_body = body,
        .req_len = n,
        .resp_body = resp,
        .resp_len = rn,
        .have_resp = have_resp,
    };
    return ta_webshell_analyze(&in, v);
}

static const char gz_ua[] =
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:84.0) Gecko/20100101 Firefox/84.0";
static const char gz_accept[] =
    "text/html,application/xhtml+xml,application/xml;q=0.9,image/webp,*/*;q=0.8";
static const char chrome_ua[] = "Mozilla/5.0 (X11; Linux x86_64) Chrome/120.0 Safari/537.36";

/* Text under a repeating 16-byte XOR key, as Behinder's XOR transports send it. */
static size_t xor_text(const char *key, size_t n, uint8_t *out)
{
    static const char code[] = "@error_reporting(0);function main($content){$result=array();"
                               "$result[\"status\"]=base64_encode(\"success\");echo encrypt(";
    size_t o = 0;
    for (; o < n && code[o] != 0; o++)
        out[o] = (uint8_t)code[o];
    for (; o < n; o++)
        out[o] = (uint8_t)b64tab[rnd8() & 63];
    for (size_t i = 0; i < n; i++)
        out[i] ^= (uint8_t)key[(i + 1) & 15];
    return n;
}

static void test_raw_variants(void **state)
{
    (void)state;
    struct ta_webshell_verdict v;
    static uint8_t ct[4096], ans[256];
    for (size_t i = 0; i < sizeof(ct); i++)
        ct[i] = rnd8();
    for (size_t i = 0; i < sizeof(ans); i++)
        ans[i] = rnd8();
    /* Godzilla JAVA_AES_RAW: the session cookie comes back with a trailing ';'. */
    assert_true(analyze_raw("/ok.jsp", ct, 1024, ans, 160, true, chrome_ua, "*/*",
                            "JSESSIONID=2B1C0F3A9D;", &v));
    assert_int_equal(v.family, TA_WS_GODZILLA);
    assert_int_equal(v.confidence, 90);
    assert_false(v.suspected);
    assert_string_equal(v.signature, "Godzilla raw AES-encrypted body (session marks)");
    /* Its first request: default headers, no cookie yet, empty answer. */
    assert_true(analyze_raw("/ok.jsp", ct, 4096, ans, 0, true, gz_ua, gz_accept, NULL, &v));
    assert_int_equal(v.family, TA_WS_GODZILLA);
    /* The same exchange without Godzilla's marks stays Behinder's, as before. */
    assert_true(analyze_raw("/ok.jsp", ct, 1024, ans, 160, true, chrome_ua, "*/*",
                            "JSESSIONID=2B1C0F3A9D", &v));
    assert_int_equal(v.family, TA_WS_BEHINDER);
    assert_int_equal(v.confidence, 80);
    /* PHP_XOR_RAW: any length, named by the cookie. */
    assert_true(analyze_raw("/img.php", ct, 301, ans, 77, true, gz_ua, gz_accept,
                            "PHPSESSID=94bd792176605ebd; ", &v));
    assert_int_equal(v.family, TA_WS_GODZILLA);
    assert_string_equal(v.signature, "Godzilla raw XOR-encrypted body (session marks)");
    /* Without a mark, random bytes of an odd length are only a high-entropy body. */
    assert_true(analyze_raw("/img.php", ct, 301, ans, 77, true, chrome_ua, "*/*", NULL, &v));
    assert_true(v.suspected);
    assert_int_equal(v.family, TA_WS_STATS);
    /* A Godzilla-looking cookie on an answer that is a page: not an exchange. */
    assert_true(analyze_raw("/img.php", ct, 301, (const uint8_t *)"<html>ok</html>", 15, true,
                            gz_ua, gz_accept, "a=b;", &v));
    assert_true(v.suspected);

    /* Behinder XOR: payload text and JSON answer under the 16-byte key. */
    static const char key[] = "e45e329feb5d925b";
    static uint8_t xb[3000], xr[120];
    xor_text(key, sizeof(xb), xb);
    xor_text(key, sizeof(xr), xr);
    assert_true(analyze_raw("/shell.php", xb, sizeof(xb), xr, sizeof(xr), true, chrome_ua, "*/*",
                            NULL, &v));
    assert_int_equal(v.family, TA_WS_BEHINDER);
    assert_int_equal(v.confidence, 90);
    assert_string_equal(v.signature, "Behinder XOR-encrypted body and answer");
    /* xor_base64: the same, base64 both ways. */
    static char xb64[4200], xr64[200];
    b64enc(xb, sizeof(xb), xb64);
    b64enc(xr, sizeof(xr), xr64);
    assert_true(analyze_raw("/shell.php", (const uint8_t *)xb64, strlen(xb64),
                            (const uint8_t *)xr64, strlen(xr64), true, chrome_ua, "*/*", NULL, &v));
    assert_int_equal(v.family, TA_WS_BEHINDER);
    assert_string_equal(v.signature, "Behinder XOR-encrypted base64 body and answer");
    /* An answer of random bytes is not Behinder's XOR'd JSON: suspected only. */
    assert_true(
        analyze_raw("/shell.php", xb, sizeof(xb), ans, 120, true, chrome_ua, "*/*", NULL, &v));
    assert_true(v.suspected);
    /* Plain text is not XOR'd text although every byte pair passes. */
    static uint8_t plain[3000];
    for (size_t i = 0; i < sizeof(plain); i++)
        plain[i] = (uint8_t)b64tab[rnd8() & 63];
    if (analyze_raw("/shell.php", plain, sizeof(plain), plain, 120, true, chrome_ua, "*/*", NULL,
                    &v))
        assert_int_not_equal(v.family, TA_WS_BEHINDER);
    /* Nor is UTF-8 text (every byte pair of two high bytes has the top bit clear). */
    static uint8_t utf8[3000];
    for (size_t i = 0; i + 3 <= sizeof(utf8); i += 3) {
        unsigned cp = 0x4e00 + (rnd8() << 4 | (rnd8() & 15));
        utf8[i] = (uint8_t)(0xe0 | cp >> 12);
        utf8[i + 1] = (uint8_t)(0x80 | (cp >> 6 & 63));
        utf8[i + 2] = (uint8_t)(0x80 | (cp & 63));
    }
    if (analyze_raw("/post.php", utf8, sizeof(utf8), utf8, 120, true, chrome_ua, "*/*", NULL, &v))
        assert_true(v.suspected);
    /* Random bytes that happen to hold one '=' after printable ones are not a form. */
    static uint8_t eq[192];
    memcpy(eq, ct, sizeof(eq));
    memcpy(eq, "Xk7=", 4);
    assert_true(analyze_raw("/ok.aspx", eq, sizeof(eq), ans, 64, true, gz_ua, gz_accept,
                            "ASP.NET_SessionId=x1;", &v));
    assert_int_equal(v.family, TA_WS_GODZILLA);
}

static void test_wrappers_and_classes(void **state)
{
    (void)state;
    struct ta_webshell_verdict v;
    static uint8_t ct[2048];
    for (size_t i = 0; i < sizeof(ct); i++)
        ct[i] = rnd8();
    /* Behinder v4 default_json: ciphertext in a JSON member, both ways. */
    static char req[3200], b64[3000], resp[3100];
    b64enc(ct, 2048, b64);
    snprintf(req, sizeof(req), "{\"id\":\"7f529e9d\",\"body\":{\"user\":\"%s\"}}", b64);
    b64enc(ct + 100, 96, b64);
    snprintf(resp, sizeof(resp), "{\"id\":\"1\",\"body\":{\"data\":\"%s\"}}", b64);
    assert_true(analyze_post("/images/shell.php", req, resp, &v));
    assert_int_equal(v.family, TA_WS_BEHINDER);
    assert_int_equal(v.confidence, 85);
    assert_string_equal(v.signature, "Behinder JSON-wrapped encrypted body");
    /* JSON of an API that carries base64 text, answered with JSON: nothing counted. */
    static const char note[] = "Meeting notes: bring the quarterly figures and the new plan.";
    b64enc((const uint8_t *)note, strlen(note), b64);
    snprintf(req, sizeof(req), "{\"doc\":\"%s\"}", b64);
    if (analyze_post("/api/save.php", req, "{\"ok\":true}", &v))
        assert_true(v.suspected);
    /* A JSON ciphertext request answered with a page: not Behinder's exchange. */
    b64enc(ct, 2048, b64);
    snprintf(req, sizeof(req), "{\"user\":\"%s\"}", b64);
    if (analyze_post("/api/save.php", req, "<html>saved</html>", &v))
        assert_true(v.suspected);

    /* default_image: ciphertext after a PNG's IEND chunk, both ways. */
    static const uint8_t png[] = {0x89, 'P', 'N', 'G', 0x0d, 0x0a, 0x1a, 0x0a, 0,    0,
                                  0,    0,   'I', 'E', 'N',  'D',  0xae, 0x42, 0x60, 0x82};
    static uint8_t img[sizeof(png) + 1024], rimg[sizeof(png) + 64];
    memcpy(img, png, sizeof(png));
    memcpy(img + sizeof(png), ct, 1024);
    memcpy(rimg, png, sizeof(png));
    memcpy(rimg + sizeof(png), ct + 1024, 64);
    assert_true(analyze_raw("/images/shell.php", img, sizeof(img), rimg, sizeof(rimg), true,
                            chrome_ua, "*/*", NULL, &v));
    assert_int_equal(v.family, TA_WS_BEHINDER);
    assert_string_equal(v.signature, "Behinder image-wrapped encrypted body");
    /* An image upload answered with a page is not. */
    if (analyze_raw("/upload.php", img, sizeof(img), (const uint8_t *)"<html>ok</html>", 15, true,
                    chrome_ua, "*/*", NULL, &v))
        assert_true(v.suspected);
    /* Nor is a PNG with nothing after its end, answered with one. */
    if (analyze_raw("/upload.php", img, sizeof(png), rimg, sizeof(png), true, chrome_ua, "*/*",
                    NULL, &v))
        assert_true(v.suspected);

    /* AntSword's JSP shell: a compiled class, base64 or hex, in a parameter. */
    static uint8_t cls[600];
    static char cb64[900], body[2400];
    memcpy(cls, "\xca\xfe\xba\xbe\x00\x00\x00\x32", 8);
    for (size_t i = 8; i < sizeof(cls); i++)
        cls[i] = rnd8();
    b64enc(cls, sizeof(cls), cb64);
    char enc[1400];
    urlenc(cb64, enc, sizeof(enc));
    snprintf(body, sizeof(body), "ant=%s&0x3f2a1b=QmL3Vzci8=", enc);
    assert_true(analyze_post("/ant.jsp", body, "abcdefbin/\tlogs/\tghijkl", &v));
    assert_int_equal(v.family, TA_WS_ANTSWORD);
    assert_string_equal(v.signature, "AntSword JSP class payload (base64)");
    size_t o = (size_t)snprintf(body, sizeof(body), "ant=");
    for (size_t i = 0; i < 200; i++)
        o += (size_t)snprintf(body + o, sizeof(body) - o, "%02x", cls[i]);
    assert_true(analyze_post("/ant.jsp", body, "ok", &v));
    assert_int_equal(v.family, TA_WS_ANTSWORD);
    assert_string_equal(v.signature, "AntSword JSP class payload (hex)");
    /* A form field that merely mentions the magic is not a class. */
    if (analyze_post("/search.jsp", "q=cafebabe+coffee+shop", "<html></html>", &v))
        assert_int_not_equal(v.family, TA_WS_ANTSWORD);
}

static void test_generic_and_benign(void **state)
{
    (void)state;
    struct ta_webshell_verdict v;
    assert_true(analyze_post("/x.php", "a=%40eval(%24_POST%5B'b'%5D)%3B&b=phpinfo()%3B", NULL, &v));
    assert_int_equal(v.family, TA_WS_GENERIC);
    assert_int_equal(v.confidence, 80);
    assert_true(analyze_post("/x.php", "cmd=whoami", "www-data\n", &v));
    assert_int_equal(v.family, TA_WS_GENERIC);
    assert_int_equal(v.confidence, 70);
    /* GET with an assert payload in the query. */
    struct ta_webshell_input g = {.method = "GET",
                                  .url = "/1.php?x=assert(base64_decode('cGhwaW5mbygpOw=='))"};
    assert_true(ta_webshell_analyze(&g, &v));
    assert_int_equal(v.family, TA_WS_GENERIC);

    /* Benign: login form, JSON, search, a short GET. */
    assert_false(analyze_post("/login.php", "username=alice&password=s3cret%21&remember=on",
                              "<html>welcome</html>", &v));
    assert_int_equal(v.family, TA_WS_NONE);
    assert_false(analyze_post(
        "/api.php", "{\"id\":1,\"items\":[\"a\",\"b\"],\"q\":\"system design\"}", "{}", &v));
    assert_false(analyze_post("/search.aspx", "q=how+to+exec+a+query+in+sql&page=2", "ok", &v));
    struct ta_webshell_input get = {.method = "GET", .url = "/index.php?id=3"};
    assert_false(ta_webshell_analyze(&get, &v));

    /* Weak signal: random-looking body to a script, no known shape. */
    char body[400];
    for (size_t i = 0; i < 300; i++)
        body[i] = b64tab[rnd8() & 63];
    body[300] = 0;
    body[10] = '=';
    assert_true(analyze_post("/up.php", body, "<html>ok</html>", &v));
    assert_int_equal(v.family, TA_WS_STATS);
    assert_true(v.suspected);
    assert_true(v.entropy > 5.3);
    /* The same body to a static path: nothing. */
    assert_false(analyze_post("/upload", body, "<html>ok</html>", &v));
    assert_true(ta_detect_entropy((const uint8_t *)"aaaa", 4) == 0.0);
}

/* ---- the real capture ------------------------------------------------- */

struct conn {
    uint16_t cport;
    uint32_t next[2];
    bool have[2];
    uint8_t *buf[2];
    size_t len[2], cap[2];
};

static void append(struct conn *c, int dir, const uint8_t *p, size_t n)
{
    if (c->len[dir] + n > c->cap[dir]) {
        size_t nc = (c->len[dir] + n) * 2;
        c->buf[dir] = realloc(c->buf[dir], nc);
        assert_non_null(c->buf[dir]);
        c->cap[dir] = nc;
    }
    memcpy(c->buf[dir] + c->len[dir], p, n);
    c->len[dir] += n;
}

/* Parse one HTTP message at *off: returns header/body views, advances *off. */
static bool http_msg(const uint8_t *b, size_t n, size_t *off, const uint8_t **hdr, size_t *hlen,
                     uint8_t **body, size_t *blen)
{
    size_t s = *off;
    const uint8_t *e = memmem(b + s, n - s, "\r\n\r\n", 4);
    if (e == NULL)
        return false;
    *hdr = b + s;
    *hlen = (size_t)(e - (b + s));
    size_t p = (size_t)(e - b) + 4;
    char h[4096];
    size_t hl = *hlen < sizeof(h) - 1 ? *hlen : sizeof(h) - 1;
    memcpy(h, *hdr, hl);
    h[hl] = 0;
    for (char *q = h; *q; q++)
        *q = (char)tolower((unsigned char)*q);
    char *cl = strstr(h, "content-length:");
    bool chunked = strstr(h, "transfer-encoding: chunked") != NULL;
    bool gz = strstr(h, "content-encoding: gzip") != NULL;
    uint8_t *raw = malloc(n - p + 1);
    size_t rl = 0;
    if (chunked) {
        while (p < n) {
            size_t sz = strtoul((const char *)b + p, NULL, 16);
            const uint8_t *le = memmem(b + p, n - p, "\r\n", 2);
            p = (size_t)(le - b) + 2;
            if (sz == 0) {
                p += 2;
                break;
            }
            memcpy(raw + rl, b + p, sz);
            rl += sz;
            p += sz + 2;
        }
    } else {
        size_t want = cl ? strtoul(cl + 15, NULL, 10) : 0;
        if (want > n - p)
            want = n - p;
        memcpy(raw, b + p, want);
        rl = want;
        p += want;
    }
    if (gz && rl > 0) {
        uint8_t *out = malloc(1 << 20);
        z_stream z = {0};
        inflateInit2(&z, 16 + MAX_WBITS);
        z.next_in = raw;
        z.avail_in = (uInt)rl;
        z.next_out = out;
        z.avail_out = 1 << 20;
        inflate(&z, Z_FINISH);
        size_t ol = z.total_out;
        inflateEnd(&z);
        free(raw);
        raw = out;
        rl = ol;
    }
    *body = raw;
    *blen = rl;
    *off = p;
    return true;
}

static void hdr_value(const uint8_t *h, size_t hl, const char *name, char *out, size_t cap)
{
    out[0] = 0;
    size_t nl = strlen(name);
    for (size_t i = 0; i + nl < hl; i++) {
        if ((i == 0 || h[i - 1] == '\n') && strncasecmp((const char *)h + i, name, nl) == 0 &&
            h[i + nl] == ':') {
            size_t s = i + nl + 1;
            while (s < hl && h[s] == ' ')
                s++;
            size_t e = s;
            while (e < hl && h[e] != '\r')
                e++;
            size_t l = e - s < cap - 1 ? e - s : cap - 1;
            memcpy(out, h + s, l);
            out[l] = 0;
            return;
        }
    }
}

static void test_godzilla_capture(void **state)
{
    (void)state;
    const char *d = tu_shared_data();
    TU_SKIP_NO_DATA(d);
    char path[4096], err[PCAP_ERRBUF_SIZE];
    snprintf(path, sizeof(path), "%s/n3tfl0w-webshell-traffic/demoTraffic/PHP_XOR_BASE64.pcap", d);
    pcap_t *pc = pcap_open_offline(path, err);
    if (pc == NULL) {
        print_message("skip: %s\n", err);
        skip();
    }
    assert_int_equal(pcap_datalink(pc), 276); /* LINUX_SLL2 */
    struct conn conns[32];
    size_t nconn = 0;
    memset(conns, 0, sizeof(conns));
    struct pcap_pkthdr *ph;
    const u_char *pkt;
    while (pcap_next_ex(pc, &ph, &pkt) == 1) {
        if (ph->caplen < 20 + 20 + 20 || pkt[0] != 0x08 || pkt[1] != 0x00)
            continue;
        const uint8_t *ip = pkt + 20;
        size_t ihl = (size_t)(ip[0] & 15) * 4;
        if (ip[9] != 6)
            continue;
        size_t tot = (size_t)ip[2] << 8 | ip[3];
        const uint8_t *tcp = ip + ihl;
        size_t thl = (size_t)(tcp[12] >> 4) * 4;
        uint16_t sp = (uint16_t)(tcp[0] << 8 | tcp[1]), dp = (uint16_t)(tcp[2] << 8 | tcp[3]);
        uint32_t seq =
            (uint32_t)tcp[4] << 24 | (uint32_t)tcp[5] << 16 | (uint32_t)tcp[6] << 8 | tcp[7];
        int dir = dp == 80 ? 0 : 1;
        uint16_t cport = dir == 0 ? sp : dp;
        struct conn *c = NULL;
        for (size_t i = 0; i < nconn; i++)
            if (conns[i].cport == cport)
                c = &conns[i];
        if (c == NULL) {
            assert_true(nconn < 32);
            c = &conns[nconn++];
            c->cport = cport;
        }
        size_t plen = tot - ihl - thl;
        if (tcp[13] & 0x02) { /* SYN */
            c->next[dir] = seq + 1;
            c->have[dir] = true;
            continue;
        }
        if (plen == 0 || !c->have[dir] || seq != c->next[dir])
            continue; /* retransmission or out of order: the lab capture has none we need */
        append(c, dir, tcp + thl, plen);
        c->next[dir] = seq + (uint32_t)plen;
    }
    pcap_close(pc);

    unsigned requests = 0, godzilla = 0, behinder = 0, other = 0;
    for (size_t i = 0; i < nconn; i++) {
        struct conn *c = &conns[i];
        size_t qo = 0, ro = 0;
        const uint8_t *qh, *rh;
        size_t qhl, rhl, ql, rl;
        uint8_t *qb, *rb;
        while (http_msg(c->buf[0], c->len[0], &qo, &qh, &qhl, &qb, &ql)) {
            bool have_resp = http_msg(c->buf[1], c->len[1], &ro, &rh, &rhl, &rb, &rl);
            char method[16] = {0}, url[256] = {0}, ua[256], accept[256], ctype[128];
            sscanf((const char *)qh, "%15s %255s", method, url);
            hdr_value(qh, qhl, "User-Agent", ua, sizeof(ua));
            hdr_value(qh, qhl, "Accept", accept, sizeof(accept));
            hdr_value(qh, qhl, "Content-Type", ctype, sizeof(ctype));
            struct ta_webshell_input in = {.method = method,
                                           .url = url,
                                           .user_agent = ua,
                                           .accept = accept,
                                           .content_type = ctype,
                                           .req_body = qb,
                                           .req_len = ql,
                                           .resp_body = have_resp ? rb : NULL,
                                           .resp_len = have_resp ? rl : 0,
                                           .have_resp = have_resp};
            struct ta_webshell_verdict v;
            requests++;
            bool hit = ta_webshell_analyze(&in, &v);
            if (hit && !v.suspected && v.family == TA_WS_GODZILLA &&
                strcmp(url, "/godzilla_1.php") == 0)
                godzilla++;
            else if (hit && !v.suspected && v.family == TA_WS_BEHINDER &&
                     strcmp(url, "/behinder.php") == 0)
                behinder++;
            else {
                other++;
                print_message("unexpected: %s %s -> %s %s\n", method, url,
                              ta_webshell_family_name(v.family), hit ? v.signature : "-");
            }
            free(qb);
            if (have_resp)
                free(rb);
        }
        free(c->buf[0]);
        free(c->buf[1]);
    }
    print_message("godzilla capture: %u requests, %u godzilla, %u behinder, %u other\n", requests,
                  godzilla, behinder, other);
    assert_int_equal(requests, 19);
    assert_int_equal(godzilla, 18);
    assert_int_equal(behinder, 1);
    assert_int_equal(other, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_chopper),
        cmocka_unit_test(test_antsword),
        cmocka_unit_test(test_asp_forms),
        cmocka_unit_test(test_behinder_godzilla),
        cmocka_unit_test(test_raw_variants),
        cmocka_unit_test(test_wrappers_and_classes),
        cmocka_unit_test(test_generic_and_benign),
        cmocka_unit_test(test_godzilla_capture),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
