/* Test-only stand-in for a PowerShell session, which wine cannot run: built by
 * tests/integration/wine.rs as powershell.exe, it runs the rest of its command line as a
 * child and returns its exit code, so that the child's parent process is named
 * powershell.exe (all that shell detection looks at). */
#include <windows.h>

int main(void) {
    wchar_t *p = GetCommandLineW();
    int quoted = 0;
    /* Skip our own program name (perhaps quoted), then the blanks after it. */
    while (*p && (quoted || (*p != L' ' && *p != L'\t'))) {
        if (*p == L'"') quoted = !quoted;
        p++;
    }
    while (*p == L' ' || *p == L'\t') p++;
    STARTUPINFOW si = { sizeof si };
    PROCESS_INFORMATION pi;
    if (!CreateProcessW(NULL, p, NULL, NULL, TRUE, 0, NULL, NULL, &si, &pi)) return 127;
    WaitForSingleObject(pi.hProcess, INFINITE);
    DWORD code = 1;
    GetExitCodeProcess(pi.hProcess, &code);
    return (int)code;
}
