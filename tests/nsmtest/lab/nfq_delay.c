/*
 * Copyright (c) ns.mitogen contributors
 * GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
 *
 * nfq_delay QUEUE DELAY_MS: hold every packet that iptables sends to NFQUEUE
 * number QUEUE for DELAY_MS milliseconds, then let it through. It stands in
 * for `tc qdisc ... netem delay`, which this kernel lacks. Packets keep their
 * order because every one waits the same time. SIGTERM releases what is held.
 *
 * Build: gcc -O2 -o nfq_delay nfq_delay.c -lnetfilter_queue -lnfnetlink
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <arpa/inet.h>
#include <linux/netfilter.h>
#include <libnetfilter_queue/libnetfilter_queue.h>

#define SLOTS (1u << 18)

struct held {
    uint32_t id;
    uint64_t release_at;
};

static struct held queue[SLOTS];
static unsigned first, next;          /* ring of held packets: [first, next) */
static uint64_t hold_ns;
static volatile sig_atomic_t done;

static uint64_t clock_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static int on_packet(struct nfq_q_handle *qh, struct nfgenmsg *msg, struct nfq_data *nfa, void *arg)
{
    struct nfqnl_msg_packet_hdr *hdr = nfq_get_msg_packet_hdr(nfa);
    (void)msg;
    (void)arg;
    if (hdr == NULL)
        return 0;
    uint32_t id = ntohl(hdr->packet_id);
    if (((next + 1) & (SLOTS - 1)) == first)          /* full: never drop */
        return nfq_set_verdict(qh, id, NF_ACCEPT, 0, NULL);
    queue[next].id = id;
    queue[next].release_at = clock_ns() + hold_ns;
    next = (next + 1) & (SLOTS - 1);
    return 0;
}

static int release_due(struct nfq_q_handle *qh, int all)
{
    uint64_t now = clock_ns();
    while (first != next && (all || queue[first].release_at <= now)) {
        nfq_set_verdict(qh, queue[first].id, NF_ACCEPT, 0, NULL);
        first = (first + 1) & (SLOTS - 1);
    }
    if (first == next)
        return -1;                                     /* nothing held */
    uint64_t wait = queue[first].release_at - now;
    if (wait < 1000000u) {                            /* < 1 ms: sleep it here */
        struct timespec t = {0, (long)wait};
        nanosleep(&t, NULL);
        return 0;
    }
    return (int)(wait / 1000000u);
}

static void stop(int sig)
{
    (void)sig;
    done = 1;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: %s QUEUE DELAY_MS\n", argv[0]);
        return 2;
    }
    hold_ns = (uint64_t)(atof(argv[2]) * 1e6);

    struct nfq_handle *h = nfq_open();
    if (h == NULL || nfq_bind_pf(h, AF_INET) < 0) {
        perror("nfq_delay: cannot open netfilter queue");
        return 1;
    }
    struct nfq_q_handle *qh = nfq_create_queue(h, (uint16_t)atoi(argv[1]), on_packet, NULL);
    if (qh == NULL || nfq_set_mode(qh, NFQNL_COPY_META, 0) < 0) {
        perror("nfq_delay: cannot create queue");
        return 1;
    }
    nfq_set_queue_maxlen(qh, SLOTS - 1);
    nfq_set_queue_flags(qh, NFQA_CFG_F_FAIL_OPEN, NFQA_CFG_F_FAIL_OPEN);
    nfnl_rcvbufsiz(nfq_nfnlh(h), 16 << 20);
    signal(SIGTERM, stop);
    signal(SIGINT, stop);

    int fd = nfq_fd(h);
    static char buf[1 << 16];
    while (!done) {
        struct pollfd p = {fd, POLLIN, 0};
        int timeout = release_due(qh, 0);
        if (timeout == 0)
            continue;
        int n = poll(&p, 1, timeout);
        if (n < 0 && errno != EINTR)
            break;
        while (n > 0) {
            ssize_t got = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
            if (got < 0 && errno == ENOBUFS)
                continue;
            if (got <= 0)
                break;
            nfq_handle_packet(h, buf, (int)got);
        }
    }
    release_due(qh, 1);
    nfq_destroy_queue(qh);
    nfq_close(h);
    return 0;
}
