import java.io.BufferedReader;
import java.io.FileInputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * kafkacheck's Java producer: the Apache Kafka Java client driven line by line.
 *
 * Usage: java -cp kafka-clients.jar:... HistoryProducer producer.properties
 *
 * stdin, one command per line:
 *   send ID TOPIC PARTITION VALUE   send VALUE to TOPIC/PARTITION; ID names the operation
 *   meta TOPIC                      fetch TOPIC's metadata now (partitionsFor)
 *   flush                           wait for every outstanding send
 *   close                           flush, close the producer and exit
 * stdout, one JSON object per line:
 *   {"ev":"ready"}
 *   {"ev":"ok","id":ID,"offset":N}          the send was acknowledged at offset N
 *   {"ev":"error","id":ID,"error":"..."}    the send completed with an error
 *   {"ev":"meta","partitions":N} / {"ev":"flushed"} / {"ev":"closed"}
 * The Python harness (kafkacheck.conformance.javaclient) turns these into history events.
 */
public final class HistoryProducer {
    private static final PrintStream OUT = new PrintStream(System.out, true, StandardCharsets.UTF_8);

    private HistoryProducer() {
    }

    private static String quote(String text) {
        StringBuilder b = new StringBuilder("\"");
        for (char c : text.toCharArray()) {
            if (c == '"' || c == '\\') {
                b.append('\\').append(c);
            } else if (c < 0x20) {
                b.append(String.format("\\u%04x", (int) c));
            } else {
                b.append(c);
            }
        }
        return b.append('"').toString();
    }

    private static synchronized void emit(String json) {
        OUT.println(json);
    }

    public static void main(String[] args) throws Exception {
        Properties props = new Properties();
        try (FileInputStream in = new FileInputStream(args[0])) {
            props.load(in);
        }
        props.put("key.serializer", StringSerializer.class.getName());
        props.put("value.serializer", StringSerializer.class.getName());
        KafkaProducer<String, String> producer = new KafkaProducer<>(props);
        emit("{\"ev\":\"ready\"}");
        BufferedReader reader = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String line;
        while ((line = reader.readLine()) != null) {
            String[] parts = line.split(" ", 5);
            if (parts[0].equals("send") && parts.length == 5) {
                final String id = parts[1];
                ProducerRecord<String, String> record =
                    new ProducerRecord<>(parts[2], Integer.parseInt(parts[3]), null, parts[4]);
                try {
                    producer.send(record, (metadata, exception) -> {
                        if (exception == null) {
                            emit("{\"ev\":\"ok\",\"id\":" + quote(id) + ",\"offset\":" + metadata.offset() + "}");
                        } else {
                            emit("{\"ev\":\"error\",\"id\":" + quote(id) + ",\"error\":"
                                + quote(exception.getClass().getSimpleName() + ": " + exception.getMessage()) + "}");
                        }
                    });
                } catch (RuntimeException e) {
                    emit("{\"ev\":\"error\",\"id\":" + quote(id) + ",\"error\":"
                        + quote("not sent: " + e.getClass().getSimpleName() + ": " + e.getMessage()) + "}");
                }
            } else if (parts[0].equals("meta") && parts.length == 2) {
                int n = producer.partitionsFor(parts[1]).size();
                emit("{\"ev\":\"meta\",\"partitions\":" + n + "}");
            } else if (parts[0].equals("flush")) {
                producer.flush();
                emit("{\"ev\":\"flushed\"}");
            } else if (parts[0].equals("close")) {
                break;
            }
        }
        producer.close(java.time.Duration.ofSeconds(30));
        emit("{\"ev\":\"closed\"}");
        TimeUnit.MILLISECONDS.sleep(10);
    }
}
