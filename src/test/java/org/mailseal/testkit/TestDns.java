package org.mailseal.testkit;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;

/** A tiny authoritative DNS server on 127.0.0.1 (UDP) for tests, answering from a fixed record list. */
public final class TestDns implements AutoCloseable {

    private final DatagramSocket socket;
    private final List<Record> records;
    /** Names answered with SERVFAIL. */
    public final Map<String, Boolean> servfail = new ConcurrentHashMap<>();

    public TestDns(List<Record> records) throws IOException {
        this.records = List.copyOf(records);
        this.socket = new DatagramSocket(0, InetAddress.getLoopbackAddress());
        Thread t = new Thread(this::serve, "test-dns");
        t.setDaemon(true);
        t.start();
    }

    public int port() {
        return socket.getLocalPort();
    }

    private void serve() {
        byte[] buf = new byte[4096];
        while (!socket.isClosed()) {
            try {
                DatagramPacket p = new DatagramPacket(buf, buf.length);
                socket.receive(p);
                Message q = new Message(java.util.Arrays.copyOf(p.getData(), p.getLength()));
                Record question = q.getQuestion();
                Message a = new Message(q.getHeader().getID());
                a.getHeader().setFlag(Flags.QR);
                a.getHeader().setFlag(Flags.AA);
                a.addRecord(question, Section.QUESTION);
                Name name = question.getName();
                if (servfail.containsKey(name.toString())) {
                    a.getHeader().setRcode(Rcode.SERVFAIL);
                } else {
                    boolean exists = records.stream().anyMatch(r -> r.getName().equals(name));
                    records.stream().filter(r -> r.getName().equals(name) && r.getType() == question.getType())
                            .forEach(r -> a.addRecord(r, Section.ANSWER));
                    if (!exists) {
                        a.getHeader().setRcode(Rcode.NXDOMAIN);
                    }
                }
                byte[] out = a.toWire();
                socket.send(new DatagramPacket(out, out.length, p.getSocketAddress()));
            } catch (IOException e) {
                if (socket.isClosed()) {
                    return;
                }
            }
        }
    }

    @Override
    public void close() {
        socket.close();
    }
}
