# Traffic for the firewall packet tests.
#   serve tcp:80,22 udp:53   echo servers; prints "ready"
#   tcp HOST PORT [SRC]      (IPv4 or IPv6) prints ACCEPT (echo came back), REJECT (refused) or DROP (timeout)
#   udp HOST PORT            same for one datagram
#   hold HOST PORT           connects, prints "connected", then for each stdin line sends it and prints ACCEPT/DROP
#   ftpserve tcp:21 ADDR DATAPORT   a passive-mode FTP control server: answers PASV with ADDR:DATAPORT, where it
#                            serves "data" on each connection; prints "ready"
#   ftp HOST PORT            logs in to such a server, asks for PASV and opens the data connection: prints ACCEPT
#                            (data arrived), DROP (timeout) or REJECT
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


def ftp_control(c, addr, dport):
    try:
        f = c.makefile("rwb")
        f.write(b"220 ready\r\n"); f.flush()
        for line in f:
            if line.upper().startswith(b"PASV"):
                h = addr.replace(".", ",")
                f.write(("227 Entering Passive Mode (%s,%d,%d)\r\n" % (h, dport >> 8, dport & 255)).encode()); f.flush()
            elif line.upper().startswith(b"QUIT"):
                f.write(b"221 bye\r\n"); f.flush()
                break
            else:
                f.write(b"200 ok\r\n"); f.flush()
    except OSError:
        pass
    c.close()


def ftp_serve(port, addr, dport):
    d = socket.socket(socket.AF_INET)
    d.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    d.bind(("0.0.0.0", dport))
    d.listen(8)

    def data():
        while True:
            c, _ = d.accept()
            c.sendall(b"data")
            c.close()
    threading.Thread(target=data, daemon=True).start()
    s = socket.socket(socket.AF_INET)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", port))
    s.listen(8)
    while True:
        c, _ = s.accept()
        threading.Thread(target=ftp_control, args=(c, addr, dport), daemon=True).start()


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
    if mode == "ftpserve":
        threading.Thread(target=ftp_serve, args=(int(sys.argv[2].split(":")[1]), sys.argv[3], int(sys.argv[4])), daemon=True).start()
        time.sleep(0.3)
        print("ready", flush=True)
        while True:
            time.sleep(3600)
    host, port = sys.argv[2], int(sys.argv[3])
    if mode == "ftp":
        def f():
            c = socket.socket(socket.AF_INET)
            c.settimeout(TIMEOUT)
            c.connect((host, port))
            r = c.makefile("rwb")
            r.readline()
            r.write(b"PASV\r\n"); r.flush()
            reply = r.readline().decode()
            nums = reply[reply.index("(") + 1:reply.index(")")].split(",")
            d = socket.socket(socket.AF_INET)
            d.settimeout(TIMEOUT)
            d.connect((".".join(nums[:4]), int(nums[4]) * 256 + int(nums[5])))
            ok = d.recv(10) == b"data"
            r.write(b"QUIT\r\n"); r.flush()
            return ok
        print(verdict(f), flush=True)
    elif mode == "tcp":
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
