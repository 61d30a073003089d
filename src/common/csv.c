/*
 * CSV line splitting (see csv.h).
 */
#include "common/csv.h"

#include <stdbool.h>
#include <string.h>

#include "common/banned.h"

static bool is_blank(char c)
{
    return c == ' ' || c == '\t';
}

int ta_csv_split(const char *line, size_t len, unsigned flags, char *buf, size_t bufcap,
                 const char **fields, size_t *lens, int max)
{
    const bool trim = (flags & TA_CSV_TRIM) != 0;
    size_t i = 0, o = 0;
    int nf = 0;
    for (;;) {
        while (trim && i < len && is_blank(line[i]))
            i++;
        if (nf >= max)
            return -1;
        size_t start = o;
        if (i < len && line[i] == '"') {
            i++;
            for (;;) {
                if (i >= len)
                    return -1; /* unterminated quote */
                if (line[i] == '"') {
                    if (i + 1 < len && line[i + 1] == '"') {
                        if (o + 1 >= bufcap)
                            return -1;
                        buf[o++] = '"';
                        i += 2;
                        continue;
                    }
                    i++;
                    break;
                }
                if (o + 1 >= bufcap)
                    return -1;
                buf[o++] = line[i++];
            }
            while (trim && i < len && is_blank(line[i]))
                i++;
            if (i < len && line[i] != ',')
                return -1; /* junk after closing quote */
        } else {
            while (i < len && line[i] != ',') {
                if (line[i] == '"' && (flags & TA_CSV_STRICT_QUOTE))
                    return -1;
                if (o + 1 >= bufcap)
                    return -1;
                buf[o++] = line[i++];
            }
            while (trim && o > start && is_blank(buf[o - 1]))
                o--;
        }
        if (o + 1 > bufcap)
            return -1;
        if (lens != NULL)
            lens[nf] = o - start;
        buf[o++] = '\0';
        fields[nf++] = buf + start;
        if (i >= len)
            break;
        i++; /* the comma */
    }
    return nf;
}

/* A plain number, optionally signed, with at most one decimal point. */
static bool plain_number(const char *s)
{
    if (*s == '+' || *s == '-')
        s++;
    bool digit = false, dot = false;
    for (; *s; s++) {
        if (*s >= '0' && *s <= '9')
            digit = true;
        else if (*s == '.' && !dot)
            dot = true;
        else
            return false;
    }
    return digit;
}

void ta_csv_write_field(FILE *f, const char *s)
{
    if (s == NULL)
        return;
    bool formula = (s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@' || s[0] == '\t' ||
                    s[0] == '\r') &&
                   !plain_number(s);
    if (!formula && strpbrk(s, ",\"\r\n") == NULL) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    if (formula)
        fputc('\'', f);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}
