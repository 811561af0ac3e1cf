package io.caiman.gateway.line;

import io.caiman.core.config.HostPort;
import io.caiman.error.CaimanException;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A UDP listener: each datagram is a chunk of lines, written through {@link LineWriter#writeOrDrop}.
 * UDP cannot push back, so a datagram the gateway cannot take is dropped and counted, never queued without
 * bound. A datagram larger than {@code gateway.max_line_bytes} is refused whole (counted), not cut short.
 */
public final class UdpLineListener implements LineListener {

    private static final Logger log = LoggerFactory.getLogger(UdpLineListener.class);

    private final String name;
    private final HostPort listen;
    private final LineWriter writer;
    private final int maxBytes;
    private volatile boolean running;
    private DatagramSocket socket;
    private Thread receiver;

    UdpLineListener(String name, HostPort listen, LineWriter writer, int maxBytes) {
        this.name = name;
        this.listen = listen;
        this.writer = writer;
        this.maxBytes = maxBytes;
    }

    /** @throws CaimanException when the address cannot be bound */
    @Override
    public void start() {
        try {
            socket = new DatagramSocket(new InetSocketAddress(listen.host(), listen.port()));
            socket.setReceiveBufferSize(4 << 20);
        } catch (IOException e) {
            throw new CaimanException("cannot listen on udp " + listen + " (" + name + "): " + e.getMessage(), e);
        }
        running = true;
        receiver = new Thread(this::receive, "caiman-" + name + "-udp-" + port());
        receiver.setDaemon(true);
        receiver.start();
        log.info("udp [{}] listening on {}:{}", name, listen.host(), port());
    }

    @Override
    public int port() {
        return socket.getLocalPort();
    }

    private void receive() {
        byte[] buf = new byte[maxBytes + 1]; // one more, to tell a full datagram from a cut one
        DatagramPacket packet = new DatagramPacket(buf, buf.length);
        while (running) {
            try {
                packet.setLength(buf.length);
                socket.receive(packet);
                String from = packet.getSocketAddress().toString();
                if (packet.getLength() > maxBytes) {
                    writer.tooLong(from);
                    continue;
                }
                writer.writeOrDrop(java.util.Arrays.copyOf(buf, packet.getLength()), from);
            } catch (IOException e) {
                if (running) {
                    log.warn("udp [{}] receive failed: {}", name, e.toString());
                }
            } catch (RuntimeException e) {
                log.error("udp [{}] datagram failed", name, e);
            }
        }
    }

    @Override
    public void close() {
        running = false;
        if (socket != null) {
            socket.close();
        }
    }
}
