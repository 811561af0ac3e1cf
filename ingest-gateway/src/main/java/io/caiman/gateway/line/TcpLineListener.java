package io.caiman.gateway.line;

import io.caiman.core.config.HostPort;
import io.caiman.error.CaimanException;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A TCP listener for newline-separated lines (Graphite's plaintext port, Alligator's raw {@code tcp}
 * entrypoint). One thread per connection reads a buffer of complete lines, writes them through
 * {@link LineWriter#writeAndWait} and only then reads on: a blocking read is what gives TCP backpressure for
 * free, which is why this is plain {@code java.net} rather than an event loop — line senders hold few,
 * long-lived connections, and {@code gateway.max_connections} bounds them (more wait in the accept queue). A
 * connection that sends nothing for {@code gateway.line_idle_timeout} is closed, so that senders gone without a
 * goodbye do not keep those slots.
 */
public final class TcpLineListener implements LineListener {

    private static final Logger log = LoggerFactory.getLogger(TcpLineListener.class);

    private final String name;
    private final HostPort listen;
    private final LineWriter writer;
    private final int maxLineBytes;
    private final Semaphore slots;
    private final Set<Socket> connections = ConcurrentHashMap.newKeySet();
    private final AtomicInteger ids = new AtomicInteger();
    private volatile boolean running;
    private ServerSocket server;
    private Thread acceptor;

    /** How long a connection may send nothing before it is closed; 0: never. */
    private final java.time.Duration idleTimeout;

    TcpLineListener(String name, HostPort listen, LineWriter writer, int maxLineBytes, int maxConnections,
            java.time.Duration idleTimeout) {
        this.name = name;
        this.listen = listen;
        this.writer = writer;
        this.maxLineBytes = maxLineBytes;
        this.slots = new Semaphore(maxConnections);
        this.idleTimeout = idleTimeout;
    }

    /** @throws CaimanException when the address cannot be bound */
    @Override
    public void start() {
        try {
            server = new ServerSocket();
            server.setReuseAddress(true);
            server.bind(new InetSocketAddress(listen.host(), listen.port()), 128);
        } catch (IOException e) {
            throw new CaimanException("cannot listen on tcp " + listen + " (" + name + "): " + e.getMessage(), e);
        }
        running = true;
        acceptor = new Thread(this::accept, "caiman-" + name + "-accept-" + port());
        acceptor.setDaemon(true);
        acceptor.start();
        log.info("tcp [{}] listening on {}:{}", name, listen.host(), port());
    }

    @Override
    public int port() {
        return server.getLocalPort();
    }

    private void accept() {
        while (running) {
            try {
                slots.acquire();
                Socket socket;
                try {
                    socket = server.accept();
                } catch (IOException e) {
                    slots.release();
                    if (running) {
                        log.warn("tcp [{}] accept failed: {}", name, e.toString());
                    }
                    continue;
                }
                connections.add(socket);
                Thread t = new Thread(() -> serve(socket), "caiman-" + name + "-conn-" + ids.incrementAndGet());
                t.setDaemon(true);
                t.start();
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private void serve(Socket socket) {
        String from = socket.getRemoteSocketAddress().toString();
        byte[] buf = new byte[maxLineBytes];
        int filled = 0;
        boolean skipping = false; // inside a line longer than maxLineBytes
        try (socket; InputStream in = socket.getInputStream()) {
            // a sender that went away without closing (a crashed host, a NAT that forgot the connection) would
            // otherwise hold one of gateway.max_connections for good: reads give up after the idle timeout, and the
            // kernel's keepalive probes find a dead peer of a connection that stays open longer
            socket.setSoTimeout((int) Math.min(Integer.MAX_VALUE, idleTimeout.toMillis()));
            socket.setKeepAlive(true);
            while (running) {
                int n;
                try {
                    n = in.read(buf, filled, buf.length - filled);
                } catch (java.net.SocketTimeoutException idle) {
                    log.debug("tcp [{}] closing the connection from {}: nothing received for {} "
                            + "(gateway.line_idle_timeout)", name, from, idleTimeout);
                    break;
                }
                if (n < 0) {
                    break;
                }
                filled += n;
                int start = 0;
                if (skipping) {
                    int nl = indexOf(buf, (byte) '\n', 0, filled);
                    if (nl < 0) {
                        filled = 0;
                        continue;
                    }
                    skipping = false;
                    start = nl + 1;
                }
                int last = lastIndexOf(buf, (byte) '\n', start, filled);
                if (last < 0) {
                    if (filled - start == buf.length) {
                        writer.tooLong(from);
                        skipping = true;
                        filled = 0;
                    } else if (start > 0) {
                        System.arraycopy(buf, start, buf, 0, filled - start);
                        filled -= start;
                    }
                    continue;
                }
                byte[] chunk = java.util.Arrays.copyOfRange(buf, start, last + 1);
                System.arraycopy(buf, last + 1, buf, 0, filled - last - 1);
                filled -= last + 1;
                writer.writeAndWait(chunk, from, () -> running);
            }
            if (filled > 0 && !skipping && running) { // a last line without its newline
                writer.writeAndWait(java.util.Arrays.copyOf(buf, filled), from, () -> running);
            }
        } catch (IOException e) {
            if (running) {
                log.debug("tcp [{}] connection from {} ended: {}", name, from, e.toString());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            log.error("tcp [{}] connection from {} failed", name, from, e);
        } finally {
            connections.remove(socket);
            slots.release();
        }
    }

    private static int indexOf(byte[] b, byte c, int from, int to) {
        for (int i = from; i < to; i++) {
            if (b[i] == c) {
                return i;
            }
        }
        return -1;
    }

    private static int lastIndexOf(byte[] b, byte c, int from, int to) {
        for (int i = to - 1; i >= from; i--) {
            if (b[i] == c) {
                return i;
            }
        }
        return -1;
    }

    /** Stops accepting and closes every connection; a chunk waiting for Kafka is given up and counted. */
    @Override
    public void close() {
        running = false;
        try {
            if (server != null) {
                server.close();
            }
        } catch (IOException e) {
            log.debug("tcp [{}] close: {}", name, e.toString());
        }
        if (acceptor != null) {
            acceptor.interrupt();
        }
        for (Socket s : connections) {
            try {
                s.shutdownInput();
            } catch (IOException e) {
                log.debug("tcp [{}] close: {}", name, e.toString());
            }
        }
    }
}
