// Prints, as JSON, every configuration key that Apache Kafka's own ConfigDef objects define.
//
// Written for kafkacheck's tools/kafka_catalogue.py: it loads the ConfigDef of each class
// named on the command line (ROLE=CLASS#MEMBER, MEMBER a static field or a static method
// returning ConfigDef) from the Kafka jars on the classpath and reports, per key, its
// type, default, validator text and whether Kafka marks it internal.  Only facts about
// the configuration (names, types, defaults) leave this program.
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.kafka.common.config.ConfigDef;

public final class DumpConfigDefs {
    private DumpConfigDefs() { }

    private static String quote(String s) {
        if (s == null) {
            return "null";
        }
        StringBuilder out = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"': out.append("\\\""); break;
                case '\\': out.append("\\\\"); break;
                case '\n': out.append("\\n"); break;
                case '\r': out.append("\\r"); break;
                case '\t': out.append("\\t"); break;
                default:
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
            }
        }
        return out.append('"').toString();
    }

    private static Object argumentFor(Class<?> type) throws Exception {
        // A one-argument factory (DistributedConfig.config(Crypto)) gets the type's own
        // static instance of itself (Crypto.SYSTEM).
        for (Field f : type.getFields()) {
            if (Modifier.isStatic(f.getModifiers()) && type.isAssignableFrom(f.getType())) {
                return f.get(null);
            }
        }
        throw new IllegalStateException("no static instance of " + type.getName());
    }

    private static ConfigDef load(String className, String member) throws Exception {
        Class<?> cls = Class.forName(className);
        for (Class<?> c = cls; c != null; c = c.getSuperclass()) {
            for (Method m : c.getDeclaredMethods()) {
                if (m.getName().equals(member) && Modifier.isStatic(m.getModifiers())
                        && ConfigDef.class.isAssignableFrom(m.getReturnType())
                        && m.getParameterCount() <= 1) {
                    m.setAccessible(true);
                    if (m.getParameterCount() == 0) {
                        return (ConfigDef) m.invoke(null);
                    }
                    Class<?> parameter = m.getParameterTypes()[0];
                    if (!ConfigDef.class.isAssignableFrom(parameter)) {
                        return (ConfigDef) m.invoke(null, argumentFor(parameter));
                    }
                }
            }
            for (Field f : c.getDeclaredFields()) {
                if (f.getName().equals(member) && Modifier.isStatic(f.getModifiers())
                        && ConfigDef.class.isAssignableFrom(f.getType())) {
                    f.setAccessible(true);
                    return (ConfigDef) f.get(null);
                }
            }
        }
        throw new IllegalStateException(className + " has no static ConfigDef member " + member);
    }

    private static String defaultText(ConfigDef.ConfigKey key) {
        if (!key.hasDefault()) {
            return null;
        }
        if (key.defaultValue == null) {
            return null;
        }
        try {
            return ConfigDef.convertToString(key.defaultValue, key.type);
        } catch (RuntimeException e) {
            return String.valueOf(key.defaultValue);
        }
    }

    public static void main(String[] args) throws Exception {
        List<String> roles = new ArrayList<>();
        for (String arg : args) {
            int eq = arg.indexOf('=');
            int hash = arg.indexOf('#');
            String role = arg.substring(0, eq);
            String className = arg.substring(eq + 1, hash);
            String member = arg.substring(hash + 1);
            Map<String, ConfigDef.ConfigKey> keys = new TreeMap<>(load(className, member).configKeys());
            StringBuilder out = new StringBuilder();
            out.append("  ").append(quote(role)).append(": {\"source\": ")
               .append(quote(className + "#" + member)).append(", \"keys\": {");
            boolean first = true;
            for (ConfigDef.ConfigKey key : keys.values()) {
                out.append(first ? "\n" : ",\n");
                first = false;
                String validator = key.validator == null ? null : key.validator.toString();
                out.append("    ").append(quote(key.name)).append(": {\"type\": ")
                   .append(quote(key.type.name())).append(", \"default\": ")
                   .append(quote(defaultText(key))).append(", \"valid\": ")
                   .append(quote(validator)).append(", \"required\": ")
                   .append(!key.hasDefault()).append(", \"internal\": ")
                   .append(key.internalConfig).append("}");
            }
            out.append("}}");
            roles.add(out.toString());
        }
        System.out.println("{\n" + String.join(",\n", roles) + "\n}");
    }
}
