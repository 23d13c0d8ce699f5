/*
 * UDP for the ports test (the image's busybox nc has no -u): built static on
 * the host, bind-mounted into the container as the server, run on the host
 * (in the test's network namespace) as the client.
 *   udp-echo serve PORT          answer each datagram with "echo: " + it, and print it
 *   udp-echo send IP PORT TEXT   send TEXT, print the answer (exit 1 after 2 s without one)
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

int main(int argc, char **argv) {
  int s = socket(AF_INET, SOCK_DGRAM, 0);
  char buf[2048], out[2100];
  if (s < 0) return perror("socket"), 2;
  if (argc == 3 && !strcmp(argv[1], "serve")) {
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(atoi(argv[2])), .sin_addr.s_addr = htonl(INADDR_ANY) };
    if (bind(s, (struct sockaddr *)&a, sizeof a) < 0) return perror("bind"), 1;
    printf("listening on udp %s\n", argv[2]);
    fflush(stdout);
    for (;;) {
      struct sockaddr_in from;
      socklen_t fl = sizeof from;
      ssize_t n = recvfrom(s, buf, sizeof buf - 1, 0, (struct sockaddr *)&from, &fl);
      if (n < 0) continue;
      buf[n] = 0;
      printf("got %s\n", buf);
      fflush(stdout);
      int m = snprintf(out, sizeof out, "echo: %s", buf);
      sendto(s, out, m, 0, (struct sockaddr *)&from, fl);
    }
  }
  if (argc == 5 && !strcmp(argv[1], "send")) {
    struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(atoi(argv[3])) };
    struct timeval tv = { .tv_sec = 2 };
    if (inet_pton(AF_INET, argv[2], &to.sin_addr) != 1) return fprintf(stderr, "bad address\n"), 2;
    setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    sendto(s, argv[4], strlen(argv[4]), 0, (struct sockaddr *)&to, sizeof to);
    ssize_t n = recv(s, buf, sizeof buf - 1, 0);
    if (n < 0) return perror("recv"), 1;
    buf[n] = 0;
    printf("%s\n", buf);
    return 0;
  }
  fprintf(stderr, "usage: udp-echo serve PORT | udp-echo send IP PORT TEXT\n");
  return 2;
}
