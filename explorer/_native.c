/* kafkacheck's native search core: state fingerprints, a compact visited table, and a
 * compact packing of states (for frontiers on disk and batches between workers).
 *
 * States are trees of tuples (plain tuples or tuple subclasses such as NamedTuple) with
 * int and bool leaves.  explorer/native.py holds a pure-Python twin of every function
 * here, bit for bit the same, used when this module could not be compiled.
 *
 * Fingerprint: each tuple is written as a prefix-free stream of 64-bit words (its length
 * tagged 01, then its items; an int in [-2^61, 2^61) is itself tagged 00; a larger int
 * is a 10 tag word and its raw 64 bits; a nested tuple is a 11 tag word and its 128-bit
 * digest), absorbed with xxHash64's round in two lanes and finished with its avalanche;
 * the fingerprint is the root's first lane.  Different trees give different streams,
 * so collisions are only the random ones of a 64-bit hash, and of a 128-bit one for the
 * parts (unlike CPython's
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

/* An int's value when it fits in one internal digit (every value a state holds in
 * practice), read without a call; 0 when it does not (the caller then asks CPython). */
static inline int compact_long(PyObject *o, long long *v) {
#if PY_VERSION_HEX >= 0x030C0000
    if (PyUnstable_Long_IsCompact((PyLongObject *)o)) {
        *v = (long long)PyUnstable_Long_CompactValue((PyLongObject *)o);
        return 1;
    }
    return 0;
#else
    Py_ssize_t size = Py_SIZE(o);
    if (size == 0) { *v = 0; return 1; }
    if (size == 1) { *v = (long long)((PyLongObject *)o)->ob_digit[0]; return 1; }
    if (size == -1) { *v = -(long long)((PyLongObject *)o)->ob_digit[0]; return 1; }
    return 0;
#endif
}

/* An int leaf's value; -1 with an exception set when it is outside 64 bits. */
static inline int long_value(PyObject *o, long long *v) {
    if (compact_long(o, v)) return 0;
    int overflow = 0;
    *v = PyLong_AsLongLongAndOverflow(o, &overflow);
    if (overflow) {
        PyErr_SetString(PyExc_OverflowError,
                        "a state holds an int outside 64 bits (states hold small ints)");
        return -1;
    }
    if (*v == -1 && PyErr_Occurred()) return -1;
    return 0;
}
static inline uint64_t absorb(uint64_t acc, uint64_t w) { return rotl64(acc + w * P2, 31) * P1; }
static inline uint64_t avalanche(uint64_t h) {
    h ^= h >> 33; h *= P2; h ^= h >> 29; h *= P3; h ^= h >> 32;
    return h;
}

/* Each tuple has its own 128-bit digest: two lanes (different seeds and rounds) over
 * its stream, which is its length tagged 01, then its items: an int as below, a tuple
 * as a 11 tag word and that tuple's two digest words.  The fingerprint is the root's
 * first lane.  A part's digest stands for the part in its parent's stream, so two
 * different parts with one digest would merge states; at 128 bits that chance is
 * negligible next to the root's 64-bit one (n(n-1)/2^65 for n states, as reported).
 *
 * Successors share most of their parts with the state they came from (and states
 * unpacked from one chunk share parts too, see Intern), so the digests of the parts
 * near the root are kept by object: a part met again is not walked again.  The cache
 * holds a reference to each object it keeps, so an address in it always names that
 * object, and tuples of ints never change. */
#define SEED_B 0x61C8864E7A143579ULL
#define FP_CACHE_SLOTS 8192
#define FP_CACHE_DEPTH 3 /* parts down to this depth (the root is 0) are cached */
typedef struct { uint64_t a, b; } Digest;
typedef struct { PyObject *obj; Digest digest; } FpSlot;
static FpSlot fp_cache[FP_CACHE_SLOTS];

static inline uint64_t absorb_b(uint64_t acc, uint64_t w) { return rotl64(acc + w * P3, 27) * P2; }
static inline void absorb2(Digest *acc, uint64_t w) {
    acc->a = absorb(acc->a, w);
    acc->b = absorb_b(acc->b, w);
}

static int tuple_digest(PyObject *t, int depth, Digest *out);

/* The digest of a tuple near the root (depth <= FP_CACHE_DEPTH): kept by object. */
static inline __attribute__((always_inline)) int cached_digest(PyObject *t, int depth,
                                                             Digest *d) {
    FpSlot *slot = &fp_cache[((uintptr_t)t >> 4) & (FP_CACHE_SLOTS - 1)];
    if (slot->obj == t) {
        *d = slot->digest;
        return 0;
    }
    if (tuple_digest(t, depth, d) < 0) return -1;
    Py_INCREF(t);
    Py_XSETREF(slot->obj, t);
    slot->digest = *d;
    return 0;
}

static int fp_item(PyObject *o, Digest *acc, int depth) {
    if (PyTuple_Check(o)) {
        Digest d;
        if ((depth <= FP_CACHE_DEPTH ? cached_digest(o, depth, &d)
                                     : tuple_digest(o, depth, &d)) < 0)
            return -1;
        absorb2(acc, 3);
        absorb2(acc, d.a);
        absorb2(acc, d.b);
        return 0;
    }
    if (PyLong_Check(o)) {  /* bools are ints */
        long long v;
        if (long_value(o, &v) < 0) return -1;
        if (v >= -SMALL_LIMIT && v < SMALL_LIMIT) {
            absorb2(acc, ((uint64_t)v) << 2);
        } else {
            absorb2(acc, 2);
            absorb2(acc, (uint64_t)v);
        }
        return 0;
    }
    PyErr_Format(PyExc_TypeError,
                 "a state holds a %.100s; states hold only ints, bools and tuples of them",
                 Py_TYPE(o)->tp_name);
    return -1;
}

static int tuple_digest(PyObject *t, int depth, Digest *out) {
    if (depth > 64) {
        PyErr_SetString(PyExc_ValueError, "a state nests tuples more than 64 deep");
        return -1;
    }
    Py_ssize_t n = PyTuple_GET_SIZE(t);
    Digest acc = {SEED, SEED_B};
    absorb2(&acc, (((uint64_t)n) << 2) | 1);
    for (Py_ssize_t i = 0; i < n; i++) {
        if (fp_item(PyTuple_GET_ITEM(t, i), &acc, depth + 1) < 0) return -1;
    }
    out->a = avalanche(acc.a);
    out->b = avalanche(acc.b);
    return 0;
}

static int fingerprint_of(PyObject *o, uint64_t *out) {
    Digest d;
    if (PyTuple_Check(o)) {
        if (tuple_digest(o, 0, &d) < 0) return -1;
    } else {
        Digest acc = {SEED, SEED_B};
        if (fp_item(o, &acc, 0) < 0) return -1;
        d.a = avalanche(acc.a);
    }
    *out = d.a ? d.a : 1;
    return 0;
}

static PyObject *py_fingerprint(PyObject *self, PyObject *o) {
    uint64_t h;
    if (fingerprint_of(o, &h) < 0) return NULL;
    return PyLong_FromUnsignedLongLong(h);
}

/* owner(state, fp, part, count) -> the shard that owns a state: the fingerprint of the
 * state's item ``part`` (of the state's own ``fp`` when part < 0) modulo ``count``.  The
 * part was just walked for ``fp``, so its digest is usually in the cache (same value). */
static PyObject *py_owner(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    /* Called once per successor of a sharded search: no argument-parsing machinery. */
    if (nargs != 4) {
        PyErr_SetString(PyExc_TypeError, "owner(state, fp, part, count) takes 4 arguments");
        return NULL;
    }
    PyObject *state = args[0];
    Py_ssize_t part = PyLong_AsSsize_t(args[2]), count = PyLong_AsSsize_t(args[3]);
    if ((part == -1 || count == -1) && PyErr_Occurred()) return NULL;
    if (count < 1) {
        PyErr_SetString(PyExc_ValueError, "owner() needs at least one shard");
        return NULL;
    }
    uint64_t h;
    if (part < 0) {
        h = PyLong_AsUnsignedLongLong(args[1]);
        if (h == (uint64_t)-1 && PyErr_Occurred()) return NULL;
    } else {
        if (!PyTuple_Check(state) || part >= PyTuple_GET_SIZE(state)) {
            PyErr_SetString(PyExc_IndexError, "owner(): the state has no such part");
            return NULL;
        }
        PyObject *o = PyTuple_GET_ITEM(state, part);
        if (PyTuple_Check(o)) {
            Digest d;
            if (cached_digest(o, 1, &d) < 0) return NULL;  /* a state's part: depth 1 */
            h = d.a ? d.a : 1;
        } else if (fingerprint_of(o, &h) < 0) {
            return NULL;
        }
    }
    return PyLong_FromSsize_t((Py_ssize_t)(h % (uint64_t)count));
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

/* One packing: the output, the classes dict, and the classes this state used so far
 * (a state has a handful of NamedTuple classes over dozens of nodes; the dict holds
 * them, so the borrowed pointers stay valid for the call). */
#define SEEN_CLASSES 16
typedef struct {
    Out *o;
    PyObject *classes;
    PyObject *seen[SEEN_CLASSES];
    Py_ssize_t seen_index[SEEN_CLASSES];
    int nseen;
} Packer;

static int class_index(Packer *pk, PyObject *cls, Py_ssize_t *index) {
    for (int i = 0; i < pk->nseen; i++) {
        if (pk->seen[i] == cls) { *index = pk->seen_index[i]; return 0; }
    }
    PyObject *idx = PyDict_GetItemWithError(pk->classes, cls);
    if (idx == NULL) {
        if (PyErr_Occurred()) return -1;
        *index = PyDict_GET_SIZE(pk->classes);
        PyObject *v = PyLong_FromSsize_t(*index);
        if (!v) return -1;
        int rc = PyDict_SetItem(pk->classes, cls, v);
        Py_DECREF(v);
        if (rc < 0) return -1;
    } else {
        *index = PyLong_AsSsize_t(idx);
        if (*index == -1 && PyErr_Occurred()) return -1;
    }
    if (pk->nseen < SEEN_CLASSES) {
        pk->seen[pk->nseen] = cls;
        pk->seen_index[pk->nseen++] = *index;
    }
    return 0;
}

static inline char *put_varint(char *p, uint64_t v) {
    while (v >= 0x80) { *p++ = (char)((v & 0x7F) | 0x80); v >>= 7; }
    *p++ = (char)v;
    return p;
}

static int pack_error(PyObject *x) {
    PyErr_Format(PyExc_TypeError,
                 "a state holds a %.100s; states hold only ints, bools and tuples of them",
                 Py_TYPE(x)->tp_name);
    return -1;
}

/* Write a leaf (int or bool) at p; room for 11 bytes is reserved by the caller.
 * Returns the new end, or NULL with an exception set. */
static inline char *pack_leaf(PyObject *x, char *p) {
    if (Py_IS_TYPE(x, &PyBool_Type)) {
        *p++ = x == Py_True ? 2 : 1;
        return p;
    }
    long long v;
    if (long_value(x, &v) < 0) return NULL;
    uint64_t z = ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
    *p++ = 0;
    if (z < 0x80) { *p++ = (char)z; return p; }
    return put_varint(p, z);
}

/* Packed bytes of the parts near the root, by object, as the fingerprint keeps digests:
 * a successor's unchanged parts are copied, not walked again.  The bytes number classes
 * as one classes dict does (indices in it never change: it only grows), so the cache
 * holds that dict and is emptied when packing starts with another one; it holds each
 * part it keeps, so an address in it always names that part. */
#define PACK_CACHE_SLOTS 4096
#define PACK_CACHE_DEPTH 2 /* the state's parts and their parts */
typedef struct { PyObject *obj; char *bytes; Py_ssize_t len; } PackSlot;
static PackSlot pack_cache[PACK_CACHE_SLOTS];
static PyObject *pack_cache_classes;

static void pack_cache_use(PyObject *classes) {
    if (classes == pack_cache_classes) return;
    for (int i = 0; i < PACK_CACHE_SLOTS; i++) {
        PackSlot *slot = &pack_cache[i];
        if (slot->obj) {
            Py_CLEAR(slot->obj);
            PyMem_Free(slot->bytes);
            slot->bytes = NULL;
            slot->len = 0;
        }
    }
    Py_INCREF(classes);
    Py_XSETREF(pack_cache_classes, classes);
}

static int pack_walk(PyObject *x, Packer *pk, int depth);

static int pack_part(PyObject *t, Packer *pk, int depth) {
    PackSlot *slot = &pack_cache[((uintptr_t)t >> 4) & (PACK_CACHE_SLOTS - 1)];
    Out *o = pk->o;
    if (slot->obj == t) {
        if (out_reserve(o, slot->len) < 0) return -1;
        memcpy(o->buf + o->len, slot->bytes, slot->len);
        o->len += slot->len;
        return 0;
    }
    Py_ssize_t start = o->len;
    if (pack_walk(t, pk, depth) < 0) return -1;
    Py_ssize_t len = o->len - start;
    char *copy = PyMem_Malloc(len ? len : 1);
    if (!copy) return 0;  /* not kept: the bytes are written all the same */
    memcpy(copy, o->buf + start, len);
    if (slot->obj) {
        Py_DECREF(slot->obj);
        PyMem_Free(slot->bytes);
    }
    Py_INCREF(t);
    slot->obj = t;
    slot->bytes = copy;
    slot->len = len;
    return 0;
}

static int pack_walk(PyObject *x, Packer *pk, int depth) {
    Out *o = pk->o;
    if (!PyTuple_Check(x)) {
        if (!PyLong_Check(x)) return pack_error(x);  /* bools are ints */
        if (out_reserve(o, 11) < 0) return -1;
        char *p = pack_leaf(x, o->buf + o->len);
        if (!p) return -1;
        o->len = p - o->buf;
        return 0;
    }
    if (depth > 64) {
        PyErr_SetString(PyExc_ValueError, "a state nests tuples more than 64 deep");
        return -1;
    }
    Py_ssize_t n = PyTuple_GET_SIZE(x);
    Py_ssize_t index = -1;
    if (!PyTuple_CheckExact(x) && class_index(pk, (PyObject *)Py_TYPE(x), &index) < 0)
        return -1;
    /* the header (tag, class, length) and every leaf item fit in this much */
    if (out_reserve(o, 21 + 11 * n) < 0) return -1;
    char *p = o->buf + o->len;
    if (index < 0) {
        *p++ = 3;
    } else {
        *p++ = 4;
        p = put_varint(p, (uint64_t)index);
    }
    p = put_varint(p, (uint64_t)n);
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *item = PyTuple_GET_ITEM(x, i);
        if (PyTuple_Check(item)) {
            o->len = p - o->buf;
            if (depth < PACK_CACHE_DEPTH ? pack_part(item, pk, depth + 1) < 0
                                         : pack_walk(item, pk, depth + 1) < 0)
                return -1;
            p = o->buf + o->len;  /* the buffer may have moved */
        } else if (PyLong_Check(item)) {
            p = pack_leaf(item, p);
            if (!p) return -1;
        } else {
            return pack_error(item);
        }
    }
    o->len = p - o->buf;
    return 0;
}

static int pack_state(PyObject *x, Out *o, PyObject *classes) {
    Packer pk;
    pk.o = o;
    pk.classes = classes;
    pk.nseen = 0;
    pack_cache_use(classes);
    return pack_walk(x, &pk, 0);
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

static int skip_walk(In *in, int depth);

/* Subtrees already built in one records() call, by their packed bytes: the states of a
 * chunk share most of their parts (few controller or broker states occur among
 * thousands of cluster states), so a part met again is the same object, not rebuilt.
 * Tuples are immutable and equal bytes unpack to equal values of the same classes, so
 * sharing changes nothing a reader can see but identity.  Direct-mapped; an entry's
 * object is borrowed: the states built in the same call hold it. */
#define INTERN_SLOTS 4096
#define INTERN_DEPTH 2 /* the state's parts and their parts */
typedef struct { uint64_t hash; const unsigned char *start; Py_ssize_t len; PyObject *obj; } InternSlot;
typedef struct { InternSlot slots[INTERN_SLOTS]; } Intern;

static uint64_t bytes_hash(const unsigned char *p, Py_ssize_t n) {
    uint64_t acc = SEED + (uint64_t)n;
    while (n >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        acc = absorb(acc, w);
        p += 8; n -= 8;
    }
    uint64_t tail = 0;
    for (Py_ssize_t i = 0; i < n; i++) tail |= (uint64_t)p[i] << (8 * i);
    return avalanche(absorb(acc, tail));
}

static PyObject *unpack_walk(In *in, PyObject *classes, int depth, Intern *intern);

/* A tuple subtree at in->p, taken from ``intern`` when the same bytes were built before. */
static PyObject *unpack_shared(In *in, PyObject *classes, int depth, Intern *intern) {
    In probe = *in;
    const unsigned char *start = in->p;
    if (skip_walk(&probe, depth) < 0) return NULL;
    Py_ssize_t len = probe.p - start;
    uint64_t h = bytes_hash(start, len);
    InternSlot *slot = &intern->slots[h & (INTERN_SLOTS - 1)];
    if (slot->obj && slot->hash == h && slot->len == len && !memcmp(slot->start, start, len)) {
        in->p = probe.p;
        Py_INCREF(slot->obj);
        return slot->obj;
    }
    PyObject *obj = unpack_walk(in, classes, depth, intern);
    if (obj) {
        slot->hash = h; slot->start = start; slot->len = len; slot->obj = obj;
    }
    return obj;
}

static PyObject *unpack_walk(In *in, PyObject *classes, int depth, Intern *intern) {
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
        int share = intern != NULL && depth < INTERN_DEPTH;
        for (uint64_t i = 0; i < n; i++) {
            PyObject *item;
            if (share && in->p < in->end && (*in->p == 3 || *in->p == 4))
                item = unpack_shared(in, classes, depth + 1, intern);
            else
                item = unpack_walk(in, classes, depth + 1, intern);
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
    if (pack_state(state, &o, classes) < 0) { PyMem_Free(o.buf); return NULL; }
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
    PyObject *r = unpack_walk(&in, classes, 0, NULL);
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
static PyObject *append_impl(PyObject *const *args, Py_ssize_t nargs, int sized) {
    /* Called once per packed state: the arguments are checked by hand, not parsed. */
    if (nargs != 5) {
        PyErr_SetString(PyExc_TypeError, "takes (buffer, fp, parent, state, classes)");
        return NULL;
    }
    PyObject *ba = args[0], *state = args[3], *classes = args[4];
    if (!PyByteArray_Check(ba) || !PyDict_Check(classes)) {
        PyErr_SetString(PyExc_TypeError, "the buffer must be a bytearray, classes a dict");
        return NULL;
    }
    unsigned long long fp = PyLong_AsUnsignedLongLong(args[1]);
    if (fp == (unsigned long long)-1 && PyErr_Occurred()) return NULL;
    unsigned long long parent = PyLong_AsUnsignedLongLong(args[2]);
    if (parent == (unsigned long long)-1 && PyErr_Occurred()) return NULL;
    /* One scratch buffer, kept between calls (the GIL serialises them); a call made
     * while another is packing (a finalizer run by a collection inside it) gets its own. */
    static Out scratch = {0};
    static int busy = 0;
    Out own = {0};
    Out *o = busy ? &own : &scratch;
    PyObject *result = NULL;
    busy++;
    o->len = 0;
    if (out_reserve(o, 16) < 0) goto done;
    for (int i = 0; i < 8; i++) o->buf[o->len++] = (char)((fp >> (8 * i)) & 0xFF);
    for (int i = 0; i < 8; i++) o->buf[o->len++] = (char)((parent >> (8 * i)) & 0xFF);
    if (pack_state(state, o, classes) < 0) goto done;
    char head[10];
    Py_ssize_t head_len = sized ? put_varint(head, (uint64_t)(o->len - 16)) - head : 0;
    Py_ssize_t old = PyByteArray_GET_SIZE(ba), grown = old + head_len + o->len;
    /* Grow by doubling: bytearray's own growth (1/8) would copy the buffer every few
     * records.  A resize to no less than half the allocation keeps the allocation. */
    if (grown >= ((PyByteArrayObject *)ba)->ob_alloc &&
        PyByteArray_Resize(ba, 2 * grown) < 0) goto done;
    if (PyByteArray_Resize(ba, grown) < 0) goto done;
    memcpy(PyByteArray_AS_STRING(ba) + old, head, head_len);
    memcpy(PyByteArray_AS_STRING(ba) + old + head_len, o->buf, o->len);
    result = PyLong_FromSsize_t(grown);
done:
    busy--;
    PyMem_Free(own.buf);
    return result;
}

static PyObject *py_append_record(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    return append_impl(args, nargs, 0);
}

/* append_sized(...): append_record's record after a varint of the packed state's length,
 * so that a receiver finds where each record ends without walking it (absorb_sized). */
static PyObject *py_append_sized(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    return append_impl(args, nargs, 1);
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
    Intern *intern = PyMem_Calloc(1, sizeof(Intern));
    PyObject *list = PyList_New(0);
    if (!list || !intern) goto fail;
    while (in.p < in.end) {
        if (in.end - in.p < 16) {
            PyErr_SetString(PyExc_ValueError, "corrupt record (header)");
            goto fail;
        }
        uint64_t fp = read_u64(in.p), parent = read_u64(in.p + 8);
        in.p += 16;
        PyObject *state = unpack_walk(&in, classes, 0, intern);
        if (!state) goto fail;
        PyObject *rec = PyTuple_New(3);
        if (!rec) { Py_DECREF(state); goto fail; }
        PyTuple_SET_ITEM(rec, 2, state);
        PyObject *f = PyLong_FromUnsignedLongLong(fp);
        if (!f) { Py_DECREF(rec); goto fail; }
        PyTuple_SET_ITEM(rec, 0, f);
        PyObject *pa = PyLong_FromUnsignedLongLong(parent);
        if (!pa) { Py_DECREF(rec); goto fail; }
        PyTuple_SET_ITEM(rec, 1, pa);
        int rc = PyList_Append(list, rec);
        Py_DECREF(rec);
        if (rc < 0) goto fail;
    }
    PyMem_Free(intern);
    PyBuffer_Release(&buf);
    return list;
fail:
    PyMem_Free(intern);
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
/* Step over one packed value (a whole subtree) without building it: iterative, with the
 * items still to step over kept per open tuple (the same checks as unpack_walk). */
static int skip_walk(In *in, int depth) {
    uint64_t pending[72];
    int open = 0;            /* tuples entered and not yet finished */
    uint64_t remaining = 1;  /* values left at the current level */
    uint64_t v;
    for (;;) {
        while (remaining == 0) {
            if (open == 0) return 0;
            remaining = pending[--open];
        }
        remaining--;
        if (in->p >= in->end || depth + open > 66) {
            PyErr_SetString(PyExc_ValueError, "corrupt packed state");
            return -1;
        }
        unsigned char tag = *in->p++;
        switch (tag) {
        case 0:
            if (in_varint(in, &v) < 0) return -1;
            break;
        case 1: case 2:
            break;
        case 3: case 4:
            if (tag == 4 && in_varint(in, &v) < 0) return -1;  /* the class index */
            if (in_varint(in, &v) < 0) return -1;               /* the length */
            if (v) {
                pending[open++] = remaining;
                remaining = v;
            }
            break;
        default:
            PyErr_SetString(PyExc_ValueError, "corrupt packed state (tag)");
            return -1;
        }
    }
}

/* absorb_sized(data, table, out: bytearray) -> count: add the fingerprint and parent of
 * each append_sized record to the table; copy the new ones to out as plain records
 * (without their length), the format records() reads. */
static PyObject *py_absorb_sized(PyObject *self, PyObject *args) {
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
        uint64_t size;
        if (in_varint(&in, &size) < 0) goto fail;
        if (size > (uint64_t)(in.end - in.p) || (uint64_t)(in.end - in.p) - size < 16) {
            PyErr_SetString(PyExc_ValueError, "corrupt record (length)");
            goto fail;
        }
        const unsigned char *rec = in.p;
        uint64_t fp = read_u64(rec), parent = read_u64(rec + 8);
        in.p += 16 + size;
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
    {"absorb_sized", py_absorb_sized, METH_VARARGS,
     "absorb_sized(data, table, out) -> how many records were new (copied to out)"},
    {"append_sized", (PyCFunction)(void (*)(void))py_append_sized, METH_FASTCALL,
     "append_sized(buffer, fp, parent, state, classes) -> the buffer's new length"},
    {"owner", (PyCFunction)(void (*)(void))py_owner, METH_FASTCALL,
     "owner(state, fp, part, count) -> the shard owning a state (by its part's fingerprint)"},
    {"fingerprint", py_fingerprint, METH_O, "64-bit fingerprint of a state (never 0)"},
    {"pack", py_pack, METH_VARARGS, "pack(state, classes: dict) -> bytes"},
    {"unpack", py_unpack, METH_VARARGS, "unpack(data, classes: list) -> state"},
    {"append_record", (PyCFunction)(void (*)(void))py_append_record, METH_FASTCALL,
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
