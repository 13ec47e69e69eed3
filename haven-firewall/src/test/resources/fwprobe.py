# Traffic for the firewall packet tests.
#   serve tcp:80,22 udp:53   echo servers; prints "ready"
#   tcp HOST PORT [SRC]      (IPv4 or IPv6) prints ACCEPT (echo came back), REJECT (refused) or DROP (timeout)
#   udp HOST PORT            same for one datagram
#   hold HOST PORT           connects, prints "connected", then for each stdin line sends it and prints ACCEPT/DROP
import socket, sys, threading, time

TIMEOUT = 1.5


def echo(c):
    try:
        while True:
            d = c.recv(1024)
            if not d:
                break
            c.sendall(d)
    except OSError:
        pass
    c.close()


def dual(kind):
    # one socket for IPv4 and IPv6
    s = socket.socket(socket.AF_INET6, kind)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    return s


def family(host):
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def serve_tcp(port):
    s = dual(socket.SOCK_STREAM)
    s.bind(("::", port))
    s.listen(64)
    while True:
        c, _ = s.accept()
        threading.Thread(target=echo, args=(c,), daemon=True).start()


def serve_udp(port):
    s = dual(socket.SOCK_DGRAM)
    s.bind(("::", port))
    while True:
        d, a = s.recvfrom(2048)
        s.sendto(d, a)


def verdict(fn):
    try:
        return "ACCEPT" if fn() else "DROP"
    except ConnectionRefusedError:
        return "REJECT"
    except (socket.timeout, TimeoutError):
        return "DROP"
    except OSError as e:
        return "ERROR " + str(e)


def main():
    mode = sys.argv[1]
    if mode == "serve":
        for spec in sys.argv[2:]:
            proto, ports = spec.split(":")
            for p in ports.split(","):
                target = serve_tcp if proto == "tcp" else serve_udp
                threading.Thread(target=target, args=(int(p),), daemon=True).start()
        time.sleep(0.3)
        print("ready", flush=True)
        while True:
            time.sleep(3600)
    host, port = sys.argv[2], int(sys.argv[3])
    if mode == "tcp":
        def f():
            s = socket.socket(family(host))
            s.settimeout(TIMEOUT)
            if len(sys.argv) > 4:
                s.bind((sys.argv[4], 0))
            s.connect((host, port))
            s.sendall(b"x")
            return s.recv(10) == b"x"
        print(verdict(f), flush=True)
    elif mode == "udp":
        def f():
            s = socket.socket(family(host), socket.SOCK_DGRAM)
            s.settimeout(TIMEOUT)
            s.connect((host, port))
            s.send(b"x")
            return s.recv(10) == b"x"
        print(verdict(f), flush=True)
    elif mode == "hold":
        s = socket.socket(family(host))
        s.settimeout(TIMEOUT)
        s.connect((host, port))
        s.sendall(b"a")
        s.recv(10)
        print("connected", flush=True)
        for line in sys.stdin:
            msg = line.strip().encode() or b"."
            print(verdict(lambda: (s.sendall(msg), s.recv(100) == msg)[1]), flush=True)


main()
