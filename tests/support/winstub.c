/* Recording stub for Windows commands, run under wine by the batch-file tests.
 *
 * Built once per test session with x86_64-w64-mingw32-gcc (see tests/support/wine.py) and
 * copied under the name of each command it stands in for (ARMLoad.exe, cjcpw.exe, cluster.exe,
 * regsvr32.exe ...). Each call appends one JSON line to the file named by %JCC_STUB_LOG%:
 *
 *   {"exe": "cjcpw.exe", "cmdline": "<GetCommandLineW, raw>", "argv": [CommandLineToArgvW ...],
 *    "env": {"ARMS_EVENT": "START", ...}}
 *
 * "cmdline" is the command line exactly as cmd.exe passed it (so tests assert the quoting),
 * "argv" is how a Microsoft C runtime program splits it. Recorded variables: those whose
 * names start with ARMS_, CLP_ or NQS_.
 *
 * Exit status: %JCC_STUB_EXIT_<NAME>% where NAME is the upper-case file name without .exe
 * (JCC_STUB_EXIT_ARMLOAD=3), else %JCC_STUB_EXIT%, else 0.
 *
 * A .bat stub cannot stand in for a command: cmd.exe only returns from a batch file it CALLs,
 * and wine 8's CALL of a batch file loses the callee's exit code.
 */
#include <windows.h>
#include <shellapi.h>
#include <stdio.h>
#include <stdlib.h>
#include <wchar.h>

static char *buf;
static size_t len, cap;

static void put(const char *s, size_t n)
{
    if (len + n + 1 > cap) {
        cap = (len + n + 1) * 2;
        buf = realloc(buf, cap);
        if (!buf)
            ExitProcess(125);
    }
    memcpy(buf + len, s, n);
    len += n;
    buf[len] = 0;
}

static void puts_(const char *s) { put(s, strlen(s)); }

/* Append a wide string as a JSON string literal (UTF-8). */
static void put_json(const wchar_t *w)
{
    put("\"", 1);
    for (; *w; w++) {
        wchar_t c = *w;
        char tmp[16];
        if (c == L'"') {
            puts_("\\\"");
        } else if (c == L'\\') {
            puts_("\\\\");
        } else if (c < 0x20) {
            snprintf(tmp, sizeof tmp, "\\u%04x", (unsigned)c);
            puts_(tmp);
        } else {
            /* one UTF-16 unit, or a surrogate pair, to UTF-8 */
            int units = (c >= 0xD800 && c <= 0xDBFF && w[1]) ? 2 : 1;
            char out[8];
            int n = WideCharToMultiByte(CP_UTF8, 0, w, units, out, sizeof out, NULL, NULL);
            if (n > 0)
                put(out, (size_t)n);
            w += units - 1;
        }
    }
    put("\"", 1);
}

static int exit_code(const wchar_t *name)
{
    wchar_t var[300];
    wchar_t val[64];
    size_t i;
    swprintf(var, 300, L"JCC_STUB_EXIT_%ls", name);
    for (i = 0; var[i]; i++)
        var[i] = (wchar_t)towupper(var[i]);
    if (GetEnvironmentVariableW(var, val, 64) > 0)
        return _wtoi(val);
    if (GetEnvironmentVariableW(L"JCC_STUB_EXIT", val, 64) > 0)
        return _wtoi(val);
    return 0;
}

int main(void)
{
    wchar_t module[MAX_PATH];
    wchar_t logpath[MAX_PATH];
    wchar_t *base, *dot, *env, *p;
    LPWSTR cmdline = GetCommandLineW();
    LPWSTR *argv;
    int argc, i, first = 1;
    HANDLE h;
    DWORD written;

    GetModuleFileNameW(NULL, module, MAX_PATH);
    base = wcsrchr(module, L'\\');
    base = base ? base + 1 : module;

    puts_("{\"exe\": ");
    put_json(base);
    puts_(", \"cmdline\": ");
    put_json(cmdline);
    puts_(", \"argv\": [");
    argv = CommandLineToArgvW(cmdline, &argc);
    for (i = 0; argv && i < argc; i++) {
        if (i)
            puts_(", ");
        put_json(argv[i]);
    }
    puts_("], \"env\": {");
    env = GetEnvironmentStringsW();
    for (p = env; p && *p; p += wcslen(p) + 1) {
        if (wcsncmp(p, L"ARMS_", 5) && wcsncmp(p, L"CLP_", 4) && wcsncmp(p, L"NQS_", 4))
            continue;
        wchar_t *eq = wcschr(p, L'=');
        if (!eq)
            continue;
        if (!first)
            puts_(", ");
        first = 0;
        *eq = 0;
        put_json(p);
        puts_(": ");
        put_json(eq + 1);
        *eq = L'=';
    }
    puts_("}}\n");

    if (GetEnvironmentVariableW(L"JCC_STUB_LOG", logpath, MAX_PATH) > 0) {
        /* The previous stub's handle may not be closed yet (wine closes it asynchronously at
         * process exit): retry briefly instead of losing the record. */
        for (i = 0; i < 200; i++) {
            h = CreateFileW(logpath, FILE_APPEND_DATA,
                            FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, NULL,
                            OPEN_ALWAYS, FILE_ATTRIBUTE_NORMAL, NULL);
            if (h != INVALID_HANDLE_VALUE)
                break;
            Sleep(10);
        }
        if (h == INVALID_HANDLE_VALUE ||
            !WriteFile(h, buf, (DWORD)len, &written, NULL) || written != (DWORD)len) {
            fwprintf(stderr, L"recording stub: cannot append to %ls (error %lu)\n", logpath,
                     GetLastError());
            return 126;
        }
        FlushFileBuffers(h);
        CloseHandle(h);
    }

    dot = wcsrchr(base, L'.');
    if (dot && !_wcsicmp(dot, L".exe"))
        *dot = 0;
    return exit_code(base);
}
