/* The floor: what libcurl alone costs for the calls the benchmark makes. One easy handle
 * (keep-alive), the same URL, cookie and headers as the module sends, the body collected
 * into a reused buffer, the status checked; nothing else.
 *
 *   floor METHOD URL COOKIE USER_AGENT CALLS
 *
 * METHOD is GET, or POST (sent with an empty body, as the module sends a query-only POST).
 * Prints one line: calls=N seconds=S cpu=C per_second=R bytes=B (S wall-clock seconds, C the
 * process's CPU seconds, B the last body's length). */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <curl/curl.h>

typedef struct body {
    char *data;
    size_t len, cap;
} body;

static size_t on_body(char *data, size_t size, size_t nmemb, void *userdata)
{
    body *b = userdata;
    size_t n = size * nmemb;
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 16384;
        char *p;
        while (cap < b->len + n)
            cap *= 2;
        if ((p = realloc(b->data, cap)) == NULL)
            return 0;
        b->data = p;
        b->cap = cap;
    }
    memcpy(b->data + b->len, data, n);
    b->len += n;
    return n;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    body b = {NULL, 0, 0};
    struct curl_slist *headers;
    long calls, i, status = 0;
    double t0, seconds;
    clock_t c0;
    CURL *e;

    if (argc != 6 || (calls = strtol(argv[5], NULL, 10)) < 1) {
        fprintf(stderr, "usage: floor METHOD URL COOKIE USER_AGENT CALLS\n");
        return 2;
    }
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK || (e = curl_easy_init()) == NULL)
        return 1;
    headers = curl_slist_append(NULL, "Expect:");
    if (strcmp(argv[1], "POST") == 0) {
        headers = curl_slist_append(headers, "Content-Type:");
        curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, 0L);
        curl_easy_setopt(e, CURLOPT_POSTFIELDS, "");
    }
    curl_easy_setopt(e, CURLOPT_URL, argv[2]);
    curl_easy_setopt(e, CURLOPT_COOKIE, argv[3]);
    curl_easy_setopt(e, CURLOPT_USERAGENT, argv[4]);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, (void *)&b);

    t0 = now();
    c0 = clock();
    for (i = 0; i < calls; i++) {
        CURLcode rc;
        b.len = 0;
        rc = curl_easy_perform(e);
        curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
        if (rc != CURLE_OK || status != 200) {
            fprintf(stderr, "floor: call %ld failed: %s (HTTP %ld)\n", i + 1,
                    curl_easy_strerror(rc), status);
            return 1;
        }
    }
    seconds = now() - t0;
    printf("calls=%ld seconds=%.6f cpu=%.6f per_second=%.1f bytes=%lu\n", calls, seconds,
           (double)(clock() - c0) / CLOCKS_PER_SEC, (double)calls / seconds, (unsigned long)b.len);

    curl_easy_cleanup(e);
    curl_slist_free_all(headers);
    free(b.data);
    curl_global_cleanup();
    return 0;
}
