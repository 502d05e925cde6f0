# Fetch KoBART's config, tokenizer and weights (and optionally a LoRA adapter) into this directory,
# verifying each file's SHA-256. Idempotent: a file already present with the right checksum is not fetched again.
# The same environment variables as download_model.sh:
#   KOBART_<FILE>_URL (or KOBART_BASE_URL: <base>/<file name>) and KOBART_<FILE>_SHA256, with <FILE> one of
#   CONFIG, TOKENIZER, WEIGHTS (required); TOKENIZER_CONFIG, SPECIAL_TOKENS, ADAPTER_CONFIG, ADAPTER_WEIGHTS
#   (fetched when their SHA256 is set). KOBART_DEST overrides the target directory.
# Exit status: 0 done, 2 a variable is missing (or an unknown argument), 3 a download failed, 4 a checksum did
# not match.
#
# Usage: download_model.ps1 [-h|--help|-Help]
$ErrorActionPreference = "Stop"

if ($args.Count -gt 0) {
    if ($args[0] -in @("-h", "--help", "-Help", "/?")) {
        # This header, without the comment marks.
        foreach ($line in Get-Content $PSCommandPath) {
            if ($line -notmatch '^#') { break }
            $line -replace '^# ?', ''
        }
        exit 0
    }
    [Console]::Error.WriteLine("download_model.ps1: unknown argument $($args[0]) (the script takes none; see -Help)")
    exit 2
}

$Dest = if ($env:KOBART_DEST) { $env:KOBART_DEST } else { $PSScriptRoot }
$Files = @(
    @{ Name = "config.json"; Key = "CONFIG"; Required = $true },
    @{ Name = "tokenizer.json"; Key = "TOKENIZER"; Required = $true },
    @{ Name = "model.safetensors"; Key = "WEIGHTS"; Required = $true },
    @{ Name = "tokenizer_config.json"; Key = "TOKENIZER_CONFIG"; Required = $false },
    @{ Name = "special_tokens_map.json"; Key = "SPECIAL_TOKENS"; Required = $false },
    @{ Name = "adapter_config.json"; Key = "ADAPTER_CONFIG"; Required = $false },
    @{ Name = "adapter_model.safetensors"; Key = "ADAPTER_WEIGHTS"; Required = $false }
)

function Fail([int]$Code, [string]$Message) {
    [Console]::Error.WriteLine("download_model.ps1: $Message")
    exit $Code
}

$Missing = @()
$Plan = @()
foreach ($f in $Files) {
    $urlVar = "KOBART_$($f.Key)_URL"; $shaVar = "KOBART_$($f.Key)_SHA256"
    $url = [Environment]::GetEnvironmentVariable($urlVar)
    $sha = [Environment]::GetEnvironmentVariable($shaVar)
    if (-not $url -and $env:KOBART_BASE_URL -and ($f.Required -or $sha)) {
        $url = $env:KOBART_BASE_URL.TrimEnd("/") + "/" + $f.Name
    }
    if (-not $f.Required -and -not $url -and -not $sha) { continue }
    if (-not $url) { $Missing += "$urlVar (or KOBART_BASE_URL)" }
    if (-not $sha) { $Missing += $shaVar }
    $Plan += @{ Name = $f.Name; Url = $url; Sha = "$sha".ToLowerInvariant() }
}
if ($Missing.Count -gt 0) {
    Fail 2 ("missing environment variable(s): " + ($Missing -join ", ") +
            ". Set the address and SHA-256 of each file (see the comments at the top of this script and the README).")
}

New-Item -ItemType Directory -Force -Path $Dest | Out-Null
foreach ($p in $Plan) {
    $target = Join-Path $Dest $p.Name
    if ((Test-Path $target) -and ((Get-FileHash -Algorithm SHA256 $target).Hash.ToLowerInvariant() -eq $p.Sha)) {
        Write-Output "$($p.Name): up to date"
        continue
    }
    $part = Join-Path $Dest ".$($p.Name).part"
    Remove-Item -Force -ErrorAction SilentlyContinue $part
    Write-Output "$($p.Name): fetching $($p.Url)"
    try {
        Invoke-WebRequest -Uri $p.Url -OutFile $part -UseBasicParsing -TimeoutSec 600
    } catch {
        Remove-Item -Force -ErrorAction SilentlyContinue $part
        Fail 3 "download failed for $($p.Name) from $($p.Url) (no network, or the address is wrong): $($_.Exception.Message)"
    }
    $got = (Get-FileHash -Algorithm SHA256 $part).Hash.ToLowerInvariant()
    if ($got -ne $p.Sha) {
        Remove-Item -Force $part
        Fail 4 "SHA-256 mismatch for $($p.Name): expected $($p.Sha), got $got (file discarded)"
    }
    Move-Item -Force $part $target
    Write-Output "$($p.Name): ok ($($p.Sha))"
}
Write-Output "KoBART files are in $Dest; start the service and check /v2/health for `"kobart`": `"loaded`"."
exit 0
