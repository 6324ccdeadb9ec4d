package io.layerprune.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonTest {
    record Inner(int aB, Double maybe) {}

    record Outer(String name, long count, double[] values, List<Inner> inner, boolean flag) {}

    @Test
    void roundTripsRecordsWithSnakeCaseKeys() {
        Outer o = new Outer("x\"y\n\u0001", 1L << 40, new double[] {1.5, Double.NaN, -0.0, 1e-300},
                List.of(new Inner(3, null), new Inner(-4, 2.0)), true);
        String json = Json.write(Json.toTree(o, Json.Naming.SNAKE_CASE));
        assertEquals("{\"name\":\"x\\\"y\\n\\u0001\",\"count\":1099511627776,\"values\":[1.5,\"NaN\",-0.0,1.0E-300],"
                + "\"inner\":[{\"a_b\":3,\"maybe\":null},{\"a_b\":-4,\"maybe\":2.0}],\"flag\":true}", json);
        Outer back = Json.fromTree(Json.parse(json), Outer.class, Json.Naming.SNAKE_CASE);
        assertEquals(o.name(), back.name());
        assertEquals(o.count(), back.count());
        assertEquals(List.of(1.5, Double.NaN, -0.0, 1e-300), java.util.Arrays.stream(back.values()).boxed().toList());
        assertEquals(o.inner(), back.inner());
    }

    @Test
    void parsesWhatOthersWrite() {
        Object t = Json.parse(" {\"a\" : [1, -2.5e3, true, null, \"\\u00e9\\/\"], \"b\": {}, \"c\": NaN} ");
        assertEquals(Map.of(), Json.member(t, "b"));
        assertEquals(List.of(1L, -2500.0, true, java.util.Arrays.asList((Object) null).get(0) == null ? "skip" : "",
                "\u00e9/").get(4), ((List<?>) Json.member(t, "a")).get(4));
        assertTrue(Double.isNaN((Double) Json.member(t, "c")));
        // missing keys: null, 0, false; unknown keys are ignored
        Inner i = Json.fromTree(Json.parse("{\"zzz\":1}"), Inner.class, Json.Naming.SNAKE_CASE);
        assertEquals(new Inner(0, null), i);
    }

    @Test
    void rejectsMalformedDocumentsAndWrongShapes() {
        for (String bad : new String[] {"", "{", "[1,", "{\"a\" 1}", "\"open", "{\"a\":1} x", "tru", "-", "[1 2]"}) {
            assertThrows(Json.JsonException.class, () -> Json.parse(bad), bad);
        }
        Json.JsonException e = assertThrows(Json.JsonException.class,
                () -> Json.fromTree(Json.parse("{\"a_b\":1.5}"), Inner.class, Json.Naming.SNAKE_CASE));
        assertTrue(e.getMessage().contains("Inner.a_b"), e.getMessage());
        assertThrows(Json.JsonException.class,
                () -> Json.fromTree(Json.parse("{\"a_b\":4294967296}"), Inner.class, Json.Naming.SNAKE_CASE));
    }
}
