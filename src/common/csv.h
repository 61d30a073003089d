/*
 * One CSV line into fields (internal): RFC 4180 quoting ("..." with ""
 * for a quote), fields copied NUL-terminated into a caller buffer. The
 * feed loaders (intel) and the ASN table (enrich) both split through it;
 * the flags carry the two places' differing tolerance:
 *
 *   TA_CSV_TRIM          spaces and tabs around a field (and between a
 *                        closing quote and the comma) are dropped
 *   TA_CSV_STRICT_QUOTE  a '"' inside an unquoted field makes the line
 *                        malformed (without it the quote is kept as text)
 *
 * A quoted field must be followed by a comma or the end of the line. A line
 * ending in a comma has a last, empty field. Low-level primitive: uses
 * nothing but the C library.
 */
#ifndef TA_COMMON_CSV_H
#define TA_COMMON_CSV_H

#include <stddef.h>
#include <stdio.h>

#define TA_CSV_TRIM         1u
#define TA_CSV_STRICT_QUOTE 2u

/*
 * Splits line[0..len) into at most max fields. fields[i] points into buf
 * (NUL-terminated); lens[i], if lens is not NULL, is the field's length,
 * which counts any NUL bytes the field itself holds. Returns the number of
 * fields, or -1 if the line is malformed (unterminated quote, junk after a
 * closing quote, a strict-quote violation, more than max fields, or fields
 * that do not fit in bufcap bytes with their terminators).
 */
int ta_csv_split(const char *line, size_t len, unsigned flags, char *buf, size_t bufcap,
                 const char **fields, size_t *lens, int max);

/*
 * Write one CSV field to f (no separator), quoted as RFC 4180 when it holds
 * a comma, a quote or a line break. Values come from feeds and traffic, and
 * a spreadsheet runs a cell that starts with = + - @ (or a tab or a carriage
 * return) as a formula: such a field is written quoted with a leading
 * apostrophe ('=HYPERLINK(...)), which spreadsheets show as text. Plain
 * numbers ("-5", "+3.2") are left alone. NULL writes an empty field.
 */
void ta_csv_write_field(FILE *f, const char *s);

#endif
