package io.caiman.coordinator;

import io.caiman.error.CaimanException;
import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.recipes.cache.ChildData;
import org.apache.curator.framework.recipes.cache.CuratorCache;
import org.apache.curator.framework.recipes.nodes.PersistentNode;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.data.Stat;

/**
 * This process as a member of its sharedlock cluster: an ephemeral node {@code /members/<node>} (under the
 * cluster's chroot) holding the member's name, role, advertised address, state and leases, kept by Curator's
 * {@link PersistentNode} (re-created after a session loss), plus a cache of every member's node for
 * {@link #peers()}. The node disappears when the process leaves or its session expires.
 */
public final class Membership implements AutoCloseable {

    static final String MEMBERS = "/members";

    /** One member as it describes itself. */
    public record Member(String node, String role, String address, String state, List<Integer> leases) {}

    private final CuratorFramework client;
    private final String path;
    private final CuratorCache cache;
    private final PersistentNode self;
    private volatile Member current;

    /**
     * Joins the cluster.
     *
     * @throws CaimanException if a live member already has this node name, or ZooKeeper does not create the node
     */
    public Membership(CuratorFramework client, Member member) {
        this.client = client;
        this.path = MEMBERS + "/" + member.node();
        this.current = member;
        try {
            client.createContainers(MEMBERS);
            Stat existing = client.checkExists().forPath(path);
            long session = client.getZookeeperClient().getZooKeeper().getSessionId();
            if (existing != null && existing.getEphemeralOwner() != session) {
                Member other = parse(member.node(), client.getData().forPath(path));
                throw new CaimanException("another member of this cluster is named " + member.node() + " (" + other.role()
                        + " at " + other.address() + "); give each process its own name (crawler.node)");
            }
        } catch (CaimanException e) {
            throw e;
        } catch (Exception e) {
            throw new CaimanException("cannot join the cluster's members in ZooKeeper: " + e.getMessage(), e);
        }
        this.cache = CuratorCache.build(client, MEMBERS);
        this.cache.start();
        this.self = new PersistentNode(client, CreateMode.EPHEMERAL, false, path, encode(member));
        this.self.start();
        try {
            if (!self.waitForInitialCreate(30, TimeUnit.SECONDS)) {
                throw new CaimanException("ZooKeeper did not create the member node " + path + " within 30 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CaimanException("interrupted while joining the cluster", e);
        }
    }

    /**
     * Updates what this member says about itself (a ZooKeeper write only when something changed).
     *
     * @return whether it changed, so a ZooKeeper write was made
     */
    public synchronized boolean update(Member member) {
        if (member.equals(current)) {
            return false;
        }
        current = member;
        try {
            self.setData(encode(member));
        } catch (Exception e) {
            // the PersistentNode writes the new data when it re-creates the node; nothing else to do now
        }
        return true;
    }

    public Member self() {
        return current;
    }

    /** Every member the cache knows, by node name. */
    public List<Member> peers() {
        List<Member> members = new ArrayList<>();
        cache.stream().filter(d -> d.getPath().startsWith(MEMBERS + "/")).forEach(d -> {
            Member m = parse(d);
            if (m != null) {
                members.add(m);
            }
        });
        members.sort(Comparator.comparing(Member::node));
        return members;
    }

    private static Member parse(ChildData d) {
        if (d.getData() == null) {
            return null;
        }
        return parse(d.getPath().substring(d.getPath().lastIndexOf('/') + 1), d.getData());
    }

    static Member parse(String node, byte[] data) {
        Properties p = new Properties();
        try {
            p.load(new StringReader(new String(data, StandardCharsets.UTF_8)));
        } catch (IOException | IllegalArgumentException e) {
            return new Member(node, "unknown", "", "unreadable", List.of());
        }
        List<Integer> leases = new ArrayList<>();
        for (String g : p.getProperty("leases", "").split(",")) {
            if (!g.isBlank()) {
                try {
                    leases.add(Integer.parseInt(g.trim()));
                } catch (NumberFormatException e) {
                    // a member written by a newer version; its other fields still count
                }
            }
        }
        return new Member(node, p.getProperty("role", "unknown"), p.getProperty("address", ""),
                p.getProperty("state", "unknown"), List.copyOf(leases));
    }

    static byte[] encode(Member m) {
        Properties p = new Properties();
        p.setProperty("role", m.role());
        p.setProperty("address", m.address());
        p.setProperty("state", m.state());
        p.setProperty("leases", String.join(",", m.leases().stream().map(String::valueOf).toList()));
        StringWriter out = new StringWriter();
        try {
            p.store(out, null);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toString().getBytes(StandardCharsets.UTF_8);
    }

    /** Leaves: the member node is deleted at once rather than at session expiry. */
    @Override
    public void close() {
        try {
            self.close();
        } catch (IOException e) {
            // the node goes with the session anyway
        } finally {
            cache.close();
        }
    }
}
