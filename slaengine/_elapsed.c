/*
 * Business time between two UTC datetimes within one block of a calendar.
 *
 * slaengine/calendars.py materialises a calendar's open time in blocks of
 * whole UTC days and keeps each block's numbers packed as native 64-bit
 * integers (see _Block.packed there):
 *
 *     start, end, n, opens[n], closes[n], used[n]
 *
 * in microseconds since the Unix epoch; used[i] is the open time of the
 * block before opens[i]. minutes_in_block() answers the commonest question,
 * elapsed business time between two datetimes in UTC without pauses,
 * reading the datetimes' fields directly instead of converting them through
 * Python objects. It returns None whenever it cannot answer (another zone,
 * a datetime subclass, the block not materialised yet, an end beyond the
 * block or before the start), and the Python code then takes its general
 * path, which gives the same answers for every input.
 */

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <datetime.h>
#include <stdint.h>
#include <string.h>

/* Must match _EPOCH_DAY and _DAYS_PER_BLOCK in calendars.py: block 0
 * starts on day 4 of the epoch (Monday 1970-01-05) and lasts 91 days. */
#define FIRST_BLOCK_DAY 4
#define DAYS_PER_BLOCK 91
#define US_PER_SECOND INT64_C(1000000)
#define SECONDS_PER_DAY INT64_C(86400)
/* date(1970, 1, 1).toordinal() */
#define EPOCH_ORDINAL 719163

static PyObject *packed_name;

static const int days_before_month[13] = {
    0, 0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334,
};

/* Days from 1970-01-01 to the given proleptic Gregorian date. */
static int64_t
days_since_epoch(int year, int month, int day)
{
    int64_t before = year - 1;
    int64_t ordinal = before * 365 + before / 4 - before / 100 + before / 400
                      + days_before_month[month] + day;
    int leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    if (month > 2 && leap) {
        ordinal += 1;
    }
    return ordinal - EPOCH_ORDINAL;
}

/* Microseconds since the epoch of a datetime read as UTC. */
static int64_t
utc_microseconds(PyObject *moment, int64_t *day)
{
    *day = days_since_epoch(PyDateTime_GET_YEAR(moment),
                            PyDateTime_GET_MONTH(moment),
                            PyDateTime_GET_DAY(moment));
    int64_t seconds = *day * SECONDS_PER_DAY
                      + PyDateTime_DATE_GET_HOUR(moment) * 3600
                      + PyDateTime_DATE_GET_MINUTE(moment) * 60
                      + PyDateTime_DATE_GET_SECOND(moment);
    return seconds * US_PER_SECOND + PyDateTime_DATE_GET_MICROSECOND(moment);
}

static int
is_utc_datetime(PyObject *value)
{
    return Py_IS_TYPE(value, PyDateTimeAPI->DateTimeType)
           && PyDateTime_DATE_GET_TZINFO(value) == PyDateTime_TimeZone_UTC;
}

static int64_t
floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static int64_t
item(const char *base, Py_ssize_t index)
{
    int64_t value;
    memcpy(&value, base + index * (Py_ssize_t)sizeof(int64_t), sizeof value);
    return value;
}

/* Open microseconds of the block before the instant at. */
static int64_t
used_before(const char *opens, const char *closes, const char *used,
            Py_ssize_t count, int64_t at)
{
    /* The number of intervals opening at or before at. */
    Py_ssize_t low = 0, high = count;
    while (low < high) {
        Py_ssize_t middle = low + (high - low) / 2;
        if (item(opens, middle) <= at) {
            low = middle + 1;
        }
        else {
            high = middle;
        }
    }
    if (low == 0) {
        return 0;
    }
    Py_ssize_t i = low - 1;
    int64_t closing = item(closes, i);
    return item(used, i) + (at < closing ? at : closing) - item(opens, i);
}

static PyObject *
minutes_in_block(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    (void)module;
    if (nargs != 3) {
        PyErr_SetString(PyExc_TypeError,
                        "minutes_in_block(blocks, start, end) takes 3 arguments");
        return NULL;
    }
    PyObject *blocks = args[0], *start = args[1], *end = args[2];
    if (!PyDict_Check(blocks) || !is_utc_datetime(start) || !is_utc_datetime(end)) {
        Py_RETURN_NONE;
    }
    int64_t start_day, end_day;
    int64_t start_us = utc_microseconds(start, &start_day);
    int64_t end_us = utc_microseconds(end, &end_day);
    if (end_us < start_us) {
        Py_RETURN_NONE;
    }

    PyObject *key = PyLong_FromLongLong(
        floor_div(start_day - FIRST_BLOCK_DAY, DAYS_PER_BLOCK));
    if (key == NULL) {
        return NULL;
    }
    PyObject *block = PyDict_GetItemWithError(blocks, key);
    Py_DECREF(key);
    if (block == NULL) {
        if (PyErr_Occurred()) {
            return NULL;
        }
        Py_RETURN_NONE;
    }
    PyObject *packed = PyObject_GetAttr(block, packed_name);
    if (packed == NULL) {
        return NULL;
    }
    if (!PyBytes_Check(packed)
        || PyBytes_GET_SIZE(packed) < 3 * (Py_ssize_t)sizeof(int64_t)) {
        Py_DECREF(packed);
        PyErr_SetString(PyExc_TypeError, "block.packed must be packed int64 bytes");
        return NULL;
    }
    const char *data = PyBytes_AS_STRING(packed);
    int64_t block_start = item(data, 0), block_end = item(data, 1);
    Py_ssize_t count = (Py_ssize_t)item(data, 2);
    if (PyBytes_GET_SIZE(packed)
        != (3 + 3 * count) * (Py_ssize_t)sizeof(int64_t)) {
        Py_DECREF(packed);
        PyErr_SetString(PyExc_ValueError, "block.packed has the wrong length");
        return NULL;
    }
    if (start_us < block_start || end_us >= block_end) {
        Py_DECREF(packed);
        Py_RETURN_NONE;
    }
    const char *opens = data + 3 * sizeof(int64_t);
    const char *closes = opens + count * sizeof(int64_t);
    const char *used = closes + count * sizeof(int64_t);
    int64_t elapsed = used_before(opens, closes, used, count, end_us)
                      - used_before(opens, closes, used, count, start_us);
    Py_DECREF(packed);
    /* The same rounding as the Python path: microseconds / 1e6 / 60, each
     * division correctly rounded (an int64 below 2**53 is an exact double). */
    return PyFloat_FromDouble((double)elapsed / 1e6 / 60.0);
}

static PyMethodDef methods[] = {
    {"minutes_in_block", (PyCFunction)(void (*)(void))minutes_in_block,
     METH_FASTCALL,
     "minutes_in_block(blocks, start, end) -> float | None\n\n"
     "Business minutes in [start, end) for UTC datetimes within one\n"
     "materialised block of a calendar, or None when the general path\n"
     "must answer."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT,
    .m_name = "slaengine._elapsed",
    .m_doc = "Compiled elapsed business time for slaengine.calendars.",
    .m_size = -1,
    .m_methods = methods,
};

PyMODINIT_FUNC
PyInit__elapsed(void)
{
    PyDateTime_IMPORT;
    if (PyDateTimeAPI == NULL) {
        return NULL;
    }
    packed_name = PyUnicode_InternFromString("packed");
    if (packed_name == NULL) {
        return NULL;
    }
    PyObject *module = PyModule_Create(&module_def);
    if (module == NULL) {
        return NULL;
    }
    if (PyModule_AddIntConstant(module, "FIRST_BLOCK_DAY", FIRST_BLOCK_DAY) < 0
        || PyModule_AddIntConstant(module, "DAYS_PER_BLOCK", DAYS_PER_BLOCK) < 0) {
        Py_DECREF(module);
        return NULL;
    }
    return module;
}
