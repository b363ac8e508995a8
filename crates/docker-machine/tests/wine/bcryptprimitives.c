/* Test-only stand-in for Windows' bcryptprimitives.dll, which Debian 12's wine 8 lacks:
 * Rust's std on Windows takes its random bytes from ProcessPrng there. This forwards to
 * RtlGenRandom (SystemFunction036 in advapi32), which wine has. Built by
 * tests/integration/wine.rs into the test WINEPREFIX's system32, never shipped. */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG len);

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len) {
    while (len > 0) {
        ULONG chunk = len > 0x10000000 ? 0x10000000 : (ULONG)len;
        if (!SystemFunction036(data, chunk)) return FALSE;
        data += chunk;
        len -= chunk;
    }
    return TRUE;
}
