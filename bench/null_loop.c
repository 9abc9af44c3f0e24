/* null_loop.c: the floor for `make bench`. Reads a capture exactly the way
 * tlsmon does (stdio with a 1 MiB buffer and no per-call lock,
 * pcap_fopen_offline, pcap_next_ex)
 * and touches nothing but a checksum of the lengths. */
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdio_ext.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    char err[PCAP_ERRBUF_SIZE];
    if (argc != 2) {
        fprintf(stderr, "usage: null_loop FILE\n");
        return 2;
    }
    FILE *f = fopen(argv[1], "rb");
    if (!f) {
        perror(argv[1]);
        return 1;
    }
    char *buf = malloc(1 << 20);
    if (buf)
        setvbuf(f, buf, _IOFBF, 1 << 20);
    __fsetlocking(f, FSETLOCKING_BYCALLER); /* as tlsmon's reader does */
    pcap_t *p = pcap_fopen_offline_with_tstamp_precision(f, PCAP_TSTAMP_PRECISION_MICRO, err);
    if (!p) {
        fprintf(stderr, "%s: %s\n", argv[1], err);
        return 1;
    }
    struct pcap_pkthdr *h;
    const u_char *d;
    unsigned long long n = 0, sum = 0;
    while (pcap_next_ex(p, &h, &d) == 1) {
        n++;
        sum += h->caplen;
    }
    pcap_close(p);
    free(buf);
    printf("%llu packets, %llu bytes\n", n, sum);
    return 0;
}
