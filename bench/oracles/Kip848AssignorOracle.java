// Runs Kafka's own group-coordinator assignors (UniformAssignor, RangeAssignor) on cases
// read from stdin and prints their target assignments, so that kafkacheck's Python
// assignors can be compared with the real classes (see gen_kip848_assignor_cases.py).
//
// Input, one case per line:  ASSIGNOR|TOPICS|MEMBERS
//   TOPICS  = partition counts by topic index, comma separated ("3,2")
//   MEMBERS = ';'-separated  memberId/instanceId/subscribed/assignment
//             subscribed = topic indexes joined by '+', assignment = t:p+t:p ('-' = none)
// Output, one line per case: memberId=t:p+t:p;... in the members' input order.
// Topic k has the id Uuid(16 + k, 0), whose HashMap bucket is k: every topic-keyed map
// iterates in topic index order, as kafkacheck's assignors assume.

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

import org.apache.kafka.common.Uuid;
import org.apache.kafka.coordinator.group.api.assignor.ConsumerGroupPartitionAssignor;
import org.apache.kafka.coordinator.group.api.assignor.GroupAssignment;
import org.apache.kafka.coordinator.group.api.assignor.MemberAssignment;
import org.apache.kafka.coordinator.group.api.assignor.SubscribedTopicDescriber;
import org.apache.kafka.coordinator.group.api.assignor.SubscriptionType;
import org.apache.kafka.coordinator.group.assignor.RangeAssignor;
import org.apache.kafka.coordinator.group.assignor.UniformAssignor;
import org.apache.kafka.coordinator.group.modern.Assignment;
import org.apache.kafka.coordinator.group.modern.GroupSpecImpl;
import org.apache.kafka.coordinator.group.modern.MemberSubscriptionAndAssignmentImpl;

public class Kip848AssignorOracle {
    static Uuid topicId(int k) {
        return new Uuid(16 + k, 0);
    }

    public static void main(String[] args) throws Exception {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in));
        String line;
        while ((line = in.readLine()) != null) {
            if (line.isBlank()) continue;
            System.out.println(run(line.trim()));
        }
    }

    static String run(String line) {
        String[] parts = line.split("\\|", -1);
        ConsumerGroupPartitionAssignor assignor =
            parts[0].equals("uniform") ? new UniformAssignor() : new RangeAssignor();
        Map<Uuid, Integer> counts = new HashMap<>();
        String[] topicCounts = parts[1].split(",");
        for (int k = 0; k < topicCounts.length; k++) {
            counts.put(topicId(k), Integer.parseInt(topicCounts[k]));
        }
        List<String> order = new ArrayList<>();
        Map<String, MemberSubscriptionAndAssignmentImpl> specs = new HashMap<>();
        Map<Uuid, Map<Integer, String>> inverted = new HashMap<>();
        Map<Integer, Integer> subscriberCounts = new HashMap<>();
        for (String m : parts[2].split(";")) {
            String[] f = m.split("/", -1);
            String memberId = f[0];
            order.add(memberId);
            Optional<String> instanceId = f[1].isEmpty() ? Optional.empty() : Optional.of(f[1]);
            Set<Uuid> subscribed = new HashSet<>();
            if (!f[2].isEmpty()) {
                for (String t : f[2].split("\\+")) {
                    subscribed.add(topicId(Integer.parseInt(t)));
                    subscriberCounts.merge(Integer.parseInt(t), 1, Integer::sum);
                }
            }
            Map<Uuid, Set<Integer>> assigned = new HashMap<>();
            if (!f[3].equals("-")) {
                for (String tp : f[3].split("\\+")) {
                    String[] x = tp.split(":");
                    Uuid t = topicId(Integer.parseInt(x[0]));
                    int p = Integer.parseInt(x[1]);
                    assigned.computeIfAbsent(t, __ -> new HashSet<>()).add(p);
                    inverted.computeIfAbsent(t, __ -> new HashMap<>()).put(p, memberId);
                }
            }
            Map<Uuid, Set<Integer>> frozen = new HashMap<>();
            assigned.forEach((t, ps) -> frozen.put(t, Collections.unmodifiableSet(ps)));
            specs.put(memberId, new MemberSubscriptionAndAssignmentImpl(
                Optional.empty(), instanceId, Collections.unmodifiableSet(subscribed),
                new Assignment(Collections.unmodifiableMap(frozen))));
        }
        // ModernGroup.subscriptionType: homogeneous when every subscribed topic has every member.
        SubscriptionType type = SubscriptionType.HOMOGENEOUS;
        for (int c : subscriberCounts.values()) {
            if (c != order.size()) type = SubscriptionType.HETEROGENEOUS;
        }
        SubscribedTopicDescriber describer = new SubscribedTopicDescriber() {
            public int numPartitions(Uuid topicId) {
                return counts.getOrDefault(topicId, -1);
            }

            public Set<String> racksForPartition(Uuid topicId, int partition) {
                return Collections.emptySet();
            }
        };
        GroupAssignment result;
        try {
            result = assignor.assign(
                new GroupSpecImpl(Collections.unmodifiableMap(specs), type, inverted), describer);
        } catch (RuntimeException e) {
            return "ERROR " + e.getClass().getSimpleName();
        }
        StringBuilder out = new StringBuilder();
        for (String memberId : order) {
            if (out.length() > 0) out.append(';');
            out.append(memberId).append('=');
            MemberAssignment a = result.members().get(memberId);
            TreeSet<String> tps = new TreeSet<>();
            if (a != null) {
                List<Uuid> topics = new ArrayList<>(a.partitions().keySet());
                for (Uuid t : topics) {
                    int k = (int) (t.getMostSignificantBits() - 16);
                    for (int p : a.partitions().get(t)) tps.add(String.format("%d:%02d", k, p));
                }
            }
            List<String> clean = new ArrayList<>();
            for (String tp : tps) {
                String[] x = tp.split(":");
                clean.add(x[0] + ":" + Integer.parseInt(x[1]));
            }
            out.append(String.join("+", clean));
            if (a == null) out.append("!absent");
        }
        return out.toString();
    }
}
