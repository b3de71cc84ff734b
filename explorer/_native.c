/* kafkacheck's native search core: state fingerprints, a compact visited table, and a
 * compact packing of states (for frontiers on disk and batches between workers).
 *
 * States are trees of tuples (plain tuples or tuple subclasses such as NamedTuple) with
 * int and bool leaves.  explorer/native.py holds a pure-Python twin of every function
 * here, bit for bit the same, used when this module could not be compiled.
 *
 * Fingerprint: the tree is written as a prefix-free stream of 64-bit words (a tuple is
 * its length tagged 01, then its items; an int in [-2^61, 2^61) is itself tagged 00; a
 * larger int is a 10 tag word and its raw 64 bits), and the words are absorbed with
 * xxHash64's round and finished with its avalanche.  Different trees give different
 * streams, so collisions are only the random ones of a 64-bit hash (unlike CPython's
 * hash(), where hash(-1) == hash(-2) makes hash((0, -1)) == hash((0, -2))).  A bool is
 * the int it equals (True == 1 in Python, so the states are equal too).  The value 0
 * marks an empty slot in the table, so a fingerprint of 0 is replaced by 1.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

#define P1 0x9E3779B185EBCA87ULL
#define P2 0xC2B2AE3D27D4EB4FULL
#define P3 0x165667B19E3779F9ULL
#define SEED 0x27D4EB2F165667C5ULL
#define SMALL_LIMIT (1LL << 61)

static inline uint64_t rotl64(uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }
static inline uint64_t absorb(uint64_t acc, uint64_t w) { return rotl64(acc + w * P2, 31) * P1; }
static inline uint64_t avalanche(uint64_t h) {
    h ^= h >> 33; h *= P2; h ^= h >> 29; h *= P3; h ^= h >> 32;
    return h;
}

static int fp_walk(PyObject *o, uint64_t *acc, int depth) {
    if (PyLong_Check(o)) {  /* bools are ints */
        int overflow = 0;
        long long v = PyLong_AsLongLongAndOverflow(o, &overflow);
        if (overflow) {
            PyErr_SetString(PyExc_OverflowError,
                            "a state holds an int outside 64 bits (states hold small ints)");
            return -1;
        }
        if (v == -1 && PyErr_Occurred()) return -1;
        if (v >= -SMALL_LIMIT && v < SMALL_LIMIT) {
            *acc = absorb(*acc, ((uint64_t)v) << 2);
        } else {
            *acc = absorb(*acc, 2);
            *acc = absorb(*acc, (uint64_t)v);
        }
        return 0;
    }
    if (PyTuple_Check(o)) {
        if (depth > 64) {
            PyErr_SetString(PyExc_ValueError, "a state nests tuples more than 64 deep");
            return -1;
        }
        Py_ssize_t n = PyTuple_GET_SIZE(o);
        *acc = absorb(*acc, (((uint64_t)n) << 2) | 1);
        for (Py_ssize_t i = 0; i < n; i++) {
            if (fp_walk(PyTuple_GET_ITEM(o, i), acc, depth + 1) < 0) return -1;
        }
        return 0;
    }
    PyErr_Format(PyExc_TypeError,
                 "a state holds a %.100s; states hold only ints, bools and tuples of them",
                 Py_TYPE(o)->tp_name);
    return -1;
}

static int fingerprint_of(PyObject *o, uint64_t *out) {
    uint64_t acc = SEED;
    if (fp_walk(o, &acc, 0) < 0) return -1;
    uint64_t h = avalanche(acc);
    *out = h ? h : 1;
    return 0;
}

static PyObject *py_fingerprint(PyObject *self, PyObject *o) {
    uint64_t h;
    if (fingerprint_of(o, &h) < 0) return NULL;
    return PyLong_FromUnsignedLongLong(h);
}

/* ---- packing ------------------------------------------------------------------------
 * Tags (one byte): 0 int (zigzag varint follows), 1 False, 2 True, 3 plain tuple
 * (varint length, items), 4 tuple subclass (varint class index, varint length, items).
 * Class indices come from a dict {class: index} that packing extends as it meets new
 * classes; unpacking takes the list of classes in index order.
 */

typedef struct { char *buf; Py_ssize_t len, cap; } Out;

static int out_reserve(Out *o, Py_ssize_t extra) {
    if (o->len + extra <= o->cap) return 0;
    Py_ssize_t cap = o->cap ? o->cap : 256;
    while (cap < o->len + extra) cap *= 2;
    char *nb = PyMem_Realloc(o->buf, cap);
    if (!nb) { PyErr_NoMemory(); return -1; }
    o->buf = nb; o->cap = cap;
    return 0;
}

static inline int out_varint(Out *o, uint64_t v) {
    if (out_reserve(o, 10) < 0) return -1;
    while (v >= 0x80) { o->buf[o->len++] = (char)((v & 0x7F) | 0x80); v >>= 7; }
    o->buf[o->len++] = (char)v;
    return 0;
}

static inline int out_byte(Out *o, unsigned char b) {
    if (out_reserve(o, 1) < 0) return -1;
    o->buf[o->len++] = (char)b;
    return 0;
}

static int pack_walk(PyObject *x, Out *o, PyObject *classes, int depth) {
    if (PyBool_Check(x)) return out_byte(o, x == Py_True ? 2 : 1);
    if (PyLong_Check(x)) {
        int overflow = 0;
        long long v = PyLong_AsLongLongAndOverflow(x, &overflow);
        if (overflow) {
            PyErr_SetString(PyExc_OverflowError, "a state holds an int outside 64 bits");
            return -1;
        }
        if (v == -1 && PyErr_Occurred()) return -1;
        if (out_byte(o, 0) < 0) return -1;
        return out_varint(o, ((uint64_t)v << 1) ^ (uint64_t)(v >> 63));
    }
    if (PyTuple_Check(x)) {
        if (depth > 64) {
            PyErr_SetString(PyExc_ValueError, "a state nests tuples more than 64 deep");
            return -1;
        }
        Py_ssize_t n = PyTuple_GET_SIZE(x);
        if (PyTuple_CheckExact(x)) {
            if (out_byte(o, 3) < 0) return -1;
        } else {
            PyObject *cls = (PyObject *)Py_TYPE(x);
            PyObject *idx = PyDict_GetItemWithError(classes, cls);
            Py_ssize_t index;
            if (idx == NULL) {
                if (PyErr_Occurred()) return -1;
                index = PyDict_GET_SIZE(classes);
                PyObject *v = PyLong_FromSsize_t(index);
                if (!v) return -1;
                int rc = PyDict_SetItem(classes, cls, v);
                Py_DECREF(v);
                if (rc < 0) return -1;
            } else {
                index = PyLong_AsSsize_t(idx);
                if (index == -1 && PyErr_Occurred()) return -1;
            }
            if (out_byte(o, 4) < 0 || out_varint(o, (uint64_t)index) < 0) return -1;
        }
        if (out_varint(o, (uint64_t)n) < 0) return -1;
        for (Py_ssize_t i = 0; i < n; i++) {
            if (pack_walk(PyTuple_GET_ITEM(x, i), o, classes, depth + 1) < 0) return -1;
        }
        return 0;
    }
    PyErr_Format(PyExc_TypeError,
                 "a state holds a %.100s; states hold only ints, bools and tuples of them",
                 Py_TYPE(x)->tp_name);
    return -1;
}

typedef struct { const unsigned char *p, *end; } In;

static int in_varint(In *in, uint64_t *v) {
    uint64_t r = 0; int shift = 0;
    while (in->p < in->end) {
        unsigned char b = *in->p++;
        r |= (uint64_t)(b & 0x7F) << shift;
        if (!(b & 0x80)) { *v = r; return 0; }
        shift += 7;
        if (shift > 63) break;
    }
    PyErr_SetString(PyExc_ValueError, "corrupt packed state (varint)");
    return -1;
}

static PyObject *unpack_walk(In *in, PyObject *classes, int depth) {
    if (in->p >= in->end || depth > 66) {
        PyErr_SetString(PyExc_ValueError, "corrupt packed state");
        return NULL;
    }
    unsigned char tag = *in->p++;
    uint64_t v;
    switch (tag) {
    case 0:
        if (in_varint(in, &v) < 0) return NULL;
        return PyLong_FromLongLong((long long)((v >> 1) ^ (~(v & 1) + 1)));
    case 1: Py_RETURN_FALSE;
    case 2: Py_RETURN_TRUE;
    case 3:
    case 4: {
        PyTypeObject *cls = NULL;
        if (tag == 4) {
            if (in_varint(in, &v) < 0) return NULL;
            if (v >= (uint64_t)PyList_GET_SIZE(classes)) {
                PyErr_SetString(PyExc_ValueError, "packed state names an unknown class");
                return NULL;
            }
            cls = (PyTypeObject *)PyList_GET_ITEM(classes, (Py_ssize_t)v);
        }
        uint64_t n;
        if (in_varint(in, &n) < 0) return NULL;
        if (n > (uint64_t)(in->end - in->p)) {
            PyErr_SetString(PyExc_ValueError, "corrupt packed state (length)");
            return NULL;
        }
        PyObject *t = cls ? cls->tp_alloc(cls, (Py_ssize_t)n) : PyTuple_New((Py_ssize_t)n);
        if (!t) return NULL;
        for (uint64_t i = 0; i < n; i++) {
            PyObject *item = unpack_walk(in, classes, depth + 1);
            if (!item) { Py_DECREF(t); return NULL; }
            PyTuple_SET_ITEM(t, (Py_ssize_t)i, item);
        }
        return t;
    }
    default:
        PyErr_SetString(PyExc_ValueError, "corrupt packed state (tag)");
        return NULL;
    }
}

/* pack(state, classes) -> bytes */
static PyObject *py_pack(PyObject *self, PyObject *args) {
    PyObject *state, *classes;
    if (!PyArg_ParseTuple(args, "OO!", &state, &PyDict_Type, &classes)) return NULL;
    Out o = {0};
    if (pack_walk(state, &o, classes, 0) < 0) { PyMem_Free(o.buf); return NULL; }
    PyObject *r = PyBytes_FromStringAndSize(o.buf, o.len);
    PyMem_Free(o.buf);
    return r;
}

/* unpack(data, classes) -> state */
static PyObject *py_unpack(PyObject *self, PyObject *args) {
    Py_buffer buf;
    PyObject *classes;
    if (!PyArg_ParseTuple(args, "y*O!", &buf, &PyList_Type, &classes)) return NULL;
    In in = {(const unsigned char *)buf.buf, (const unsigned char *)buf.buf + buf.len};
    PyObject *r = unpack_walk(&in, classes, 0);
    if (r && in.p != in.end) {
        Py_DECREF(r);
        PyErr_SetString(PyExc_ValueError, "trailing bytes after a packed state");
        r = NULL;
    }
    PyBuffer_Release(&buf);
    return r;
}

/* append_record(buffer: bytearray, fp, parent, state, classes): a record is the state's
 * fingerprint and its parent's (8 bytes each, little endian) and the packed state. */
static PyObject *py_append_record(PyObject *self, PyObject *args) {
    PyObject *ba, *state, *classes;
    unsigned long long fp, parent;
    if (!PyArg_ParseTuple(args, "O!KKOO!", &PyByteArray_Type, &ba, &fp, &parent, &state,
                          &PyDict_Type, &classes))
        return NULL;
    Out o = {0};
    if (out_reserve(&o, 16) < 0) return NULL;
    for (int i = 0; i < 8; i++) o.buf[o.len++] = (char)((fp >> (8 * i)) & 0xFF);
    for (int i = 0; i < 8; i++) o.buf[o.len++] = (char)((parent >> (8 * i)) & 0xFF);
    if (pack_walk(state, &o, classes, 0) < 0) { PyMem_Free(o.buf); return NULL; }
    Py_ssize_t old = PyByteArray_GET_SIZE(ba);
    if (PyByteArray_Resize(ba, old + o.len) < 0) { PyMem_Free(o.buf); return NULL; }
    memcpy(PyByteArray_AS_STRING(ba) + old, o.buf, o.len);
    PyMem_Free(o.buf);
    return PyLong_FromSsize_t(old + o.len);
}

static uint64_t read_u64(const unsigned char *p) {
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) v = (v << 8) | p[i];
    return v;
}

/* records(data, classes) -> list of (fp, parent, state) */
static PyObject *py_records(PyObject *self, PyObject *args) {
    Py_buffer buf;
    PyObject *classes;
    if (!PyArg_ParseTuple(args, "y*O!", &buf, &PyList_Type, &classes)) return NULL;
    In in = {(const unsigned char *)buf.buf, (const unsigned char *)buf.buf + buf.len};
    PyObject *list = PyList_New(0);
    if (!list) goto fail;
    while (in.p < in.end) {
        if (in.end - in.p < 16) {
            PyErr_SetString(PyExc_ValueError, "corrupt record (header)");
            goto fail;
        }
        uint64_t fp = read_u64(in.p), parent = read_u64(in.p + 8);
        in.p += 16;
        PyObject *state = unpack_walk(&in, classes, 0);
        if (!state) goto fail;
        PyObject *rec = Py_BuildValue("(KKN)", (unsigned long long)fp,
                                      (unsigned long long)parent, state);
        if (!rec) goto fail;
        int rc = PyList_Append(list, rec);
        Py_DECREF(rec);
        if (rc < 0) goto fail;
    }
    PyBuffer_Release(&buf);
    return list;
fail:
    Py_XDECREF(list);
    PyBuffer_Release(&buf);
    return NULL;
}

/* ---- the visited table --------------------------------------------------------------
 * Open addressing with linear probing over (fingerprint, payload) pairs of 64-bit
 * words, split into 2^PARTS_LOG2 parts by the fingerprint's top bits.  Each part grows
 * on its own (doubling at 3/4 load), so growing never needs twice the whole table.
 * The payload is the parent's fingerprint (0 for an initial state).
 */
#define PARTS_LOG2 6
#define PARTS (1 << PARTS_LOG2)

typedef struct { uint64_t *slots; uint64_t mask; uint64_t used; } Part;

typedef struct {
    PyObject_HEAD
    Part parts[PARTS];
    uint64_t count;
} Table;

static inline uint64_t slot_of(uint64_t fp, uint64_t mask) {
    /* A mix independent of the low bits that shard ownership (fp % workers) fixes. */
    uint64_t x = fp * 0xBF58476D1CE4E5B9ULL;
    return (x >> 20) & mask;
}

static int part_init(Part *p, uint64_t cap) {
    p->slots = PyMem_Calloc(cap * 2, sizeof(uint64_t));
    if (!p->slots) { PyErr_NoMemory(); return -1; }
    p->mask = cap - 1;
    p->used = 0;
    return 0;
}

static int part_grow(Part *p) {
    uint64_t cap = (p->mask + 1) * 2;
    uint64_t *ns = PyMem_Calloc(cap * 2, sizeof(uint64_t));
    if (!ns) { PyErr_NoMemory(); return -1; }
    uint64_t mask = cap - 1;
    for (uint64_t i = 0; i <= p->mask; i++) {
        uint64_t k = p->slots[2 * i];
        if (!k) continue;
        uint64_t j = slot_of(k, mask);
        while (ns[2 * j]) j = (j + 1) & mask;
        ns[2 * j] = k;
        ns[2 * j + 1] = p->slots[2 * i + 1];
    }
    PyMem_Free(p->slots);
    p->slots = ns;
    p->mask = mask;
    return 0;
}

static PyObject *Table_new(PyTypeObject *type, PyObject *args, PyObject *kw) {
    Table *t = (Table *)type->tp_alloc(type, 0);
    if (!t) return NULL;
    for (int i = 0; i < PARTS; i++) {
        if (part_init(&t->parts[i], 64) < 0) { Py_DECREF(t); return NULL; }
    }
    return (PyObject *)t;
}

static void Table_dealloc(Table *t) {
    for (int i = 0; i < PARTS; i++) PyMem_Free(t->parts[i].slots);
    Py_TYPE(t)->tp_free((PyObject *)t);
}

/* 1 inserted, 0 present; -1 error */
static int table_add(Table *t, uint64_t fp, uint64_t payload) {
    if (!fp) fp = 1;
    Part *p = &t->parts[fp >> (64 - PARTS_LOG2)];
    uint64_t j = slot_of(fp, p->mask);
    for (;;) {
        uint64_t k = p->slots[2 * j];
        if (k == fp) return 0;
        if (!k) break;
        j = (j + 1) & p->mask;
    }
    p->slots[2 * j] = fp;
    p->slots[2 * j + 1] = payload;
    p->used++;
    t->count++;
    if (p->used * 4 > (p->mask + 1) * 3 && part_grow(p) < 0) return -1;
    return 1;
}

static uint64_t *table_find(Table *t, uint64_t fp) {
    if (!fp) fp = 1;
    Part *p = &t->parts[fp >> (64 - PARTS_LOG2)];
    uint64_t j = slot_of(fp, p->mask);
    for (;;) {
        uint64_t k = p->slots[2 * j];
        if (k == fp) return &p->slots[2 * j];
        if (!k) return NULL;
        j = (j + 1) & p->mask;
    }
}

static PyObject *Table_add(Table *t, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 2) {
        PyErr_SetString(PyExc_TypeError, "add(fingerprint, parent)");
        return NULL;
    }
    uint64_t fp = PyLong_AsUnsignedLongLong(args[0]);
    if (fp == (uint64_t)-1 && PyErr_Occurred()) return NULL;
    uint64_t payload = PyLong_AsUnsignedLongLong(args[1]);
    if (payload == (uint64_t)-1 && PyErr_Occurred()) return NULL;
    int r = table_add(t, fp, payload);
    if (r < 0) return NULL;
    return PyBool_FromLong(r);
}

static PyObject *Table_parent(Table *t, PyObject *arg) {
    uint64_t fp = PyLong_AsUnsignedLongLong(arg);
    if (fp == (uint64_t)-1 && PyErr_Occurred()) return NULL;
    uint64_t *slot = table_find(t, fp);
    if (!slot) Py_RETURN_NONE;
    return PyLong_FromUnsignedLongLong(slot[1]);
}

static int Table_contains(Table *t, PyObject *arg) {
    uint64_t fp = PyLong_AsUnsignedLongLong(arg);
    if (fp == (uint64_t)-1 && PyErr_Occurred()) return -1;
    return table_find(t, fp) != NULL;
}

static Py_ssize_t Table_len(Table *t) { return (Py_ssize_t)t->count; }

static PyObject *Table_nbytes(Table *t, PyObject *unused) {
    uint64_t total = 0;
    for (int i = 0; i < PARTS; i++) total += (t->parts[i].mask + 1) * 16;
    return PyLong_FromUnsignedLongLong(total);
}

/* dump() -> bytes of every (fingerprint, parent) pair, 16 bytes each, little endian */
static PyObject *Table_dump(Table *t, PyObject *unused) {
    PyObject *b = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)(t->count * 16));
    if (!b) return NULL;
    unsigned char *out = (unsigned char *)PyBytes_AS_STRING(b);
    uint64_t n = 0;
    for (int i = 0; i < PARTS; i++) {
        Part *p = &t->parts[i];
        for (uint64_t j = 0; j <= p->mask; j++) {
            uint64_t k = p->slots[2 * j];
            if (!k) continue;
            uint64_t pairs[2] = {k, p->slots[2 * j + 1]};
            for (int w = 0; w < 2; w++)
                for (int s = 0; s < 8; s++) out[16 * n + 8 * w + s] = (pairs[w] >> (8 * s)) & 0xFF;
            n++;
        }
    }
    return b;
}

/* load(data): add every (fingerprint, parent) pair of a dump() */
static PyObject *Table_load(Table *t, PyObject *arg) {
    Py_buffer buf;
    if (PyObject_GetBuffer(arg, &buf, PyBUF_SIMPLE) < 0) return NULL;
    if (buf.len % 16) {
        PyBuffer_Release(&buf);
        PyErr_SetString(PyExc_ValueError, "table dump length is not a multiple of 16");
        return NULL;
    }
    const unsigned char *p = buf.buf;
    for (Py_ssize_t i = 0; i < buf.len; i += 16) {
        if (table_add(t, read_u64(p + i), read_u64(p + i + 8)) < 0) {
            PyBuffer_Release(&buf);
            return NULL;
        }
    }
    PyBuffer_Release(&buf);
    Py_RETURN_NONE;
}

static PyMethodDef Table_methods[] = {
    {"add", (PyCFunction)(void (*)(void))Table_add, METH_FASTCALL,
     "add(fp, parent) -> True when fp was new (and is now recorded with its parent)"},
    {"parent", (PyCFunction)Table_parent, METH_O, "parent(fp) -> parent fp, 0 for a root, None"},
    {"nbytes", (PyCFunction)Table_nbytes, METH_NOARGS, "bytes held by the slots"},
    {"dump", (PyCFunction)Table_dump, METH_NOARGS, "every (fp, parent) pair as bytes"},
    {"load", (PyCFunction)Table_load, METH_O, "add the pairs of a dump()"},
    {NULL, NULL, 0, NULL},
};

static PySequenceMethods Table_as_sequence = {
    .sq_length = (lenfunc)Table_len,
    .sq_contains = (objobjproc)Table_contains,
};

static PyTypeObject TableType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "kafkacheck.explorer._native.Table",
    .tp_doc = "Visited fingerprints with their parent's fingerprint (open addressing).",
    .tp_basicsize = sizeof(Table),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_new = Table_new,
    .tp_dealloc = (destructor)Table_dealloc,
    .tp_methods = Table_methods,
    .tp_as_sequence = &Table_as_sequence,
};

/* Skip one packed state without building it. */
static int skip_walk(In *in, int depth) {
    if (in->p >= in->end || depth > 66) {
        PyErr_SetString(PyExc_ValueError, "corrupt packed state");
        return -1;
    }
    unsigned char tag = *in->p++;
    uint64_t v, n;
    switch (tag) {
    case 0: return in_varint(in, &v);
    case 1: case 2: return 0;
    case 3: case 4:
        if (tag == 4 && in_varint(in, &v) < 0) return -1;
        if (in_varint(in, &n) < 0) return -1;
        for (uint64_t i = 0; i < n; i++)
            if (skip_walk(in, depth + 1) < 0) return -1;
        return 0;
    default:
        PyErr_SetString(PyExc_ValueError, "corrupt packed state (tag)");
        return -1;
    }
}

/* absorb_records(data, table, out: bytearray) -> count: add each record's fingerprint
 * with its parent to the table and copy the records that were new, unchanged, to out. */
static PyObject *py_absorb_records(PyObject *self, PyObject *args) {
    Py_buffer buf;
    PyObject *table, *ba;
    if (!PyArg_ParseTuple(args, "y*O!O!", &buf, &TableType, &table, &PyByteArray_Type, &ba))
        return NULL;
    In in = {(const unsigned char *)buf.buf, (const unsigned char *)buf.buf + buf.len};
    Py_ssize_t count = 0;
    Py_ssize_t start_len = PyByteArray_GET_SIZE(ba);
    if (PyByteArray_Resize(ba, start_len + buf.len) < 0) goto fail;
    char *out = PyByteArray_AS_STRING(ba) + start_len;
    Py_ssize_t written = 0;
    while (in.p < in.end) {
        const unsigned char *rec = in.p;
        if (in.end - in.p < 16) {
            PyErr_SetString(PyExc_ValueError, "corrupt record (header)");
            goto fail;
        }
        uint64_t fp = read_u64(in.p), parent = read_u64(in.p + 8);
        in.p += 16;
        if (skip_walk(&in, 0) < 0) goto fail;
        int r = table_add((Table *)table, fp, parent);
        if (r < 0) goto fail;
        if (r) {
            memcpy(out + written, rec, in.p - rec);
            written += in.p - rec;
            count++;
        }
    }
    PyBuffer_Release(&buf);
    if (PyByteArray_Resize(ba, start_len + written) < 0) return NULL;
    return PyLong_FromSsize_t(count);
fail:
    PyBuffer_Release(&buf);
    return NULL;
}

static PyMethodDef module_methods[] = {
    {"absorb_records", py_absorb_records, METH_VARARGS,
     "absorb_records(data, table, out) -> how many records were new (copied to out)"},
    {"fingerprint", py_fingerprint, METH_O, "64-bit fingerprint of a state (never 0)"},
    {"pack", py_pack, METH_VARARGS, "pack(state, classes: dict) -> bytes"},
    {"unpack", py_unpack, METH_VARARGS, "unpack(data, classes: list) -> state"},
    {"append_record", py_append_record, METH_VARARGS,
     "append_record(buffer, fp, parent, state, classes) -> the buffer's new length"},
    {"records", py_records, METH_VARARGS, "records(data, classes) -> [(fp, parent, state)]"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef moduledef = {
    PyModuleDef_HEAD_INIT, "_native", "kafkacheck's native search core", -1, module_methods,
};

PyMODINIT_FUNC PyInit__native(void) {
    if (PyType_Ready(&TableType) < 0) return NULL;
    PyObject *m = PyModule_Create(&moduledef);
    if (!m) return NULL;
    Py_INCREF(&TableType);
    if (PyModule_AddObject(m, "Table", (PyObject *)&TableType) < 0) {
        Py_DECREF(&TableType);
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
