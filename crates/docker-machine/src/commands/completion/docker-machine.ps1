# PowerShell completion for docker-machine. Load it with
#   docker-machine completion powershell | Out-String | Invoke-Expression
# or add that line to $PROFILE. The candidates come from `docker-machine __complete`:
# commands, flags, drivers and the store's machines.

Register-ArgumentCompleter -Native -CommandName 'docker-machine', 'docker-machine.exe' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)
    # The words before the cursor, without the program's name and the word being typed.
    $words = @($commandAst.CommandElements |
        Where-Object { $_.Extent.EndOffset -le $cursorPosition } |
        Select-Object -Skip 1 |
        ForEach-Object {
            if ($_ -is [System.Management.Automation.Language.StringConstantExpressionAst]) { $_.Value } else { $_.ToString() }
        })
    if ($wordToComplete -ne '' -and $words.Count -gt 0) {
        $words = @($words | Select-Object -SkipLast 1)
    }
    # The word being typed goes last as cur:WORD, so that an empty one is passed too.
    $out = @(& docker-machine __complete @words "cur:$wordToComplete" 2>$null)
    if ($out.Count -gt 0 -and $out[0] -eq ':files') {
        return # nothing: PowerShell completes file names
    }
    foreach ($line in $out) {
        $candidate, $description = $line -split "`t", 2
        if (-not $description) { $description = $candidate }
        [System.Management.Automation.CompletionResult]::new($candidate, $candidate, 'ParameterValue', $description)
    }
}
