# Hesabu: printing on Windows through the print spooler.
#
# Embedded in hesabu-receipts (src/print/windows.ps1, include_str! in windows.rs), written to a
# temporary file for each run and started by WindowsSpooler as
#   powershell.exe -NoProfile -NonInteractive -ExecutionPolicy Bypass -Command <bootstrap>
# where the bootstrap reads this file as UTF-8 and runs it as a script block (so it is not a
# script file that an execution policy could refuse, and nothing of it goes on a command line).
#
# Inputs arrive in environment variables, never on the command line (no quoting to get wrong:
# printer names with spaces, quotes and accents arrive exactly as Windows spells them):
#   HESABU_PRINT_OP        list | raw | shell
#   HESABU_PRINTER         the printer's name as Windows spells it (raw, shell)
#   HESABU_PRINT_TITLE     the document's name in the printer's queue (raw)
#   HESABU_PRINT_FILE      the bytes to print: ESC/POS, or a PDF (raw, shell)
#   HESABU_PRINT_WATCH_MS  how long to watch the queue after the job is handed over (raw, shell)
#
# The answer is one line on standard output: HESABU-ANSWER and a JSON object made by
# ConvertTo-Json, with every character outside ASCII written as \uXXXX so that the console's
# code page cannot change a printer's name on the way. The JSON always has "ok"; a failure has
# "error" (spooler_not_running | win32 | job_problem | no_pdf_app | exception) and "message"
# (Windows' own words), a Win32 failure also "step" (open | start | write | end | shell) and
# "code". Hesabu decides what each answer means (crates/hesabu-receipts/src/print/windows.rs).
#
# This file must stay ASCII: Windows PowerShell 5.1 reads a file without a byte order mark in
# the computer's ANSI code page.

$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'

# Windows PowerShell 5.1 adds a Count property to arrays through its type data, which makes
# ConvertTo-Json write an array as {"value":[...],"Count":n}. Without it arrays are arrays.
Remove-TypeData -TypeName System.Array -ErrorAction SilentlyContinue

function Write-Answer([hashtable] $Answer) {
    $json = ConvertTo-Json -InputObject $Answer -Compress -Depth 6
    $ascii = [regex]::Replace($json, '[^\u0000-\u007F]', {
        param($m)
        '\u{0:x4}' -f [int][char]$m.Value
    })
    [Console]::Out.Write('HESABU-ANSWER ' + $ascii + "`n")
    [Console]::Out.Flush()
}

# The RawPrinterHelper pattern: the spooler's own calls from winspool.drv, so the bytes reach
# the printer exactly as given (datatype RAW: no driver rendering). StartDocPrinter returns the
# job id (a DWORD, 0 on failure), which is why it is declared returning int, not bool. After the
# job is handed over it is watched for a few seconds: a job that shows an error, offline or
# paper out is deleted from the queue, so that it cannot print later by itself after Hesabu
# reported the print as failed (a second original).
$HesabuSpoolerSource = @'
using System;
using System.ComponentModel;
using System.Runtime.InteropServices;
using System.Threading;

public static class HesabuSpooler
{
    [StructLayout(LayoutKind.Sequential, CharSet = CharSet.Unicode)]
    public class DOC_INFO_1
    {
        [MarshalAs(UnmanagedType.LPWStr)] public string pDocName;
        [MarshalAs(UnmanagedType.LPWStr)] public string pOutputFile;
        [MarshalAs(UnmanagedType.LPWStr)] public string pDatatype;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct SYSTEMTIME
    {
        public short wYear, wMonth, wDayOfWeek, wDay, wHour, wMinute, wSecond, wMilliseconds;
    }

    [StructLayout(LayoutKind.Sequential, CharSet = CharSet.Unicode)]
    public struct JOB_INFO_1
    {
        public int JobId;
        public string pPrinterName;
        public string pMachineName;
        public string pUserName;
        public string pDocument;
        public string pDatatype;
        public string pStatus;
        public int Status;
        public int Priority;
        public int Position;
        public int TotalPages;
        public int PagesPrinted;
        public SYSTEMTIME Submitted;
    }

    [DllImport("winspool.drv", EntryPoint = "OpenPrinterW", SetLastError = true, CharSet = CharSet.Unicode, ExactSpelling = true)]
    public static extern bool OpenPrinter(string pPrinterName, out IntPtr phPrinter, IntPtr pDefault);

    [DllImport("winspool.drv", EntryPoint = "ClosePrinter", SetLastError = true, ExactSpelling = true)]
    public static extern bool ClosePrinter(IntPtr hPrinter);

    [DllImport("winspool.drv", EntryPoint = "StartDocPrinterW", SetLastError = true, CharSet = CharSet.Unicode, ExactSpelling = true)]
    public static extern int StartDocPrinter(IntPtr hPrinter, int Level, [In, MarshalAs(UnmanagedType.LPStruct)] DOC_INFO_1 pDocInfo);

    [DllImport("winspool.drv", EntryPoint = "StartPagePrinter", SetLastError = true, ExactSpelling = true)]
    public static extern bool StartPagePrinter(IntPtr hPrinter);

    [DllImport("winspool.drv", EntryPoint = "WritePrinter", SetLastError = true, ExactSpelling = true)]
    public static extern bool WritePrinter(IntPtr hPrinter, IntPtr pBuf, int cbBuf, out int pcWritten);

    [DllImport("winspool.drv", EntryPoint = "EndPagePrinter", SetLastError = true, ExactSpelling = true)]
    public static extern bool EndPagePrinter(IntPtr hPrinter);

    [DllImport("winspool.drv", EntryPoint = "EndDocPrinter", SetLastError = true, ExactSpelling = true)]
    public static extern bool EndDocPrinter(IntPtr hPrinter);

    [DllImport("winspool.drv", EntryPoint = "AbortPrinter", SetLastError = true, ExactSpelling = true)]
    public static extern bool AbortPrinter(IntPtr hPrinter);

    [DllImport("winspool.drv", EntryPoint = "GetJobW", SetLastError = true, CharSet = CharSet.Unicode, ExactSpelling = true)]
    public static extern bool GetJob(IntPtr hPrinter, int JobId, int Level, IntPtr pJob, int cbBuf, out int pcbNeeded);

    [DllImport("winspool.drv", EntryPoint = "SetJobW", SetLastError = true, CharSet = CharSet.Unicode, ExactSpelling = true)]
    public static extern bool SetJob(IntPtr hPrinter, int JobId, int Level, IntPtr pJob, int Command);

    public const int JOB_CONTROL_DELETE = 5;
    // JOB_STATUS_ERROR | JOB_STATUS_OFFLINE | JOB_STATUS_PAPEROUT | JOB_STATUS_BLOCKED_DEVQ |
    // JOB_STATUS_USER_INTERVENTION
    public const int JOB_STATUS_PROBLEM = 0x662;
    // JOB_STATUS_PRINTED | JOB_STATUS_DELETED | JOB_STATUS_COMPLETE
    public const int JOB_STATUS_DONE = 0x1180;

    public class Result
    {
        public string Step = "";
        public int Error;
        public string Message = "";
        public int JobId;
        public int Written;
        public int Status;
        public string StatusText = "";
        public bool Problem;
        public bool Cancelled;
    }

    static Result Fail(Result r, string step, int error)
    {
        r.Step = step;
        r.Error = error;
        r.Message = error == 0 ? "the printer took no bytes" : new Win32Exception(error).Message;
        return r;
    }

    static bool ReadJob(IntPtr printer, int jobId, out int status, out string text)
    {
        status = 0;
        text = "";
        int needed;
        GetJob(printer, jobId, 1, IntPtr.Zero, 0, out needed);
        if (needed <= 0) return false;
        IntPtr buffer = Marshal.AllocHGlobal(needed);
        try
        {
            if (!GetJob(printer, jobId, 1, buffer, needed, out needed)) return false;
            JOB_INFO_1 info = (JOB_INFO_1)Marshal.PtrToStructure(buffer, typeof(JOB_INFO_1));
            status = info.Status;
            text = info.pStatus ?? "";
            return true;
        }
        finally
        {
            Marshal.FreeHGlobal(buffer);
        }
    }

    public static Result Print(string printerName, string document, string datatype, byte[] data, int watchMs)
    {
        Result r = new Result();
        IntPtr printer;
        if (!OpenPrinter(printerName, out printer, IntPtr.Zero))
            return Fail(r, "open", Marshal.GetLastWin32Error());
        IntPtr buffer = Marshal.AllocCoTaskMem(Math.Max(data.Length, 1));
        try
        {
            Marshal.Copy(data, 0, buffer, data.Length);
            DOC_INFO_1 info = new DOC_INFO_1();
            info.pDocName = document;
            info.pOutputFile = null;
            info.pDatatype = datatype;
            r.JobId = StartDocPrinter(printer, 1, info);
            if (r.JobId == 0)
                return Fail(r, "start", Marshal.GetLastWin32Error());
            if (!StartPagePrinter(printer))
            {
                Fail(r, "write", Marshal.GetLastWin32Error());
                AbortPrinter(printer);
                return r;
            }
            int offset = 0;
            while (offset < data.Length)
            {
                int written;
                bool ok = WritePrinter(printer, new IntPtr(buffer.ToInt64() + offset), data.Length - offset, out written);
                if (!ok || written <= 0)
                {
                    Fail(r, "write", ok ? 0 : Marshal.GetLastWin32Error());
                    AbortPrinter(printer);
                    return r;
                }
                offset += written;
            }
            r.Written = offset;
            if (!EndPagePrinter(printer))
            {
                Fail(r, "end", Marshal.GetLastWin32Error());
                AbortPrinter(printer);
                return r;
            }
            if (!EndDocPrinter(printer))
                return Fail(r, "end", Marshal.GetLastWin32Error());
            int waited = 0;
            while (true)
            {
                int status;
                string text;
                // Gone from the queue: printed (and not kept).
                if (!ReadJob(printer, r.JobId, out status, out text)) break;
                r.Status = status;
                r.StatusText = text;
                if ((status & JOB_STATUS_PROBLEM) != 0)
                {
                    r.Problem = true;
                    r.Cancelled = SetJob(printer, r.JobId, 0, IntPtr.Zero, JOB_CONTROL_DELETE);
                    break;
                }
                if ((status & JOB_STATUS_DONE) != 0 || waited >= watchMs) break;
                Thread.Sleep(200);
                waited += 200;
            }
            return r;
        }
        finally
        {
            Marshal.FreeCoTaskMem(buffer);
            ClosePrinter(printer);
        }
    }
}
'@

# The printers as Win32_Printer has them (WMI: in every edition of Windows 10 and 11, Home
# included; Get-Printer's PrintManagement module is not needed).
function Get-HesabuPrinters {
    Get-CimInstance -ClassName Win32_Printer |
        Select-Object Name, Default, WorkOffline, PrinterStatus, ExtendedPrinterStatus,
            DetectedErrorState, ExtendedDetectedErrorState, DriverName, PortName
}

function Invoke-HesabuRaw {
    Add-Type -TypeDefinition $HesabuSpoolerSource -Language CSharp
    $data = [System.IO.File]::ReadAllBytes($env:HESABU_PRINT_FILE)
    $watch = [int]$env:HESABU_PRINT_WATCH_MS
    $r = [HesabuSpooler]::Print($env:HESABU_PRINTER, $env:HESABU_PRINT_TITLE, 'RAW', $data, $watch)
    if ($r.Step -ne '') {
        Write-Answer @{ ok = $false; error = 'win32'; step = $r.Step; code = $r.Error;
            message = $r.Message; job = $r.JobId }
    } elseif ($r.Problem) {
        Write-Answer @{ ok = $false; error = 'job_problem'; job = $r.JobId; status = $r.Status;
            statusText = $r.StatusText; cancelled = $r.Cancelled }
    } else {
        Write-Answer @{ ok = $true; job = $r.JobId; written = $r.Written; status = $r.Status }
    }
}

# A PDF through the app registered for PDFs: the shell's PrintTo verb, the printer's name as
# its argument (the app's registered command puts it in quotes; Hesabu refuses a name with a
# double quote before this runs). The app prints in its own time, so the job id is looked up
# in the queue by the file's name, which is unique; no job in time is not an error.
function Invoke-HesabuPrintTo {
    $file = $env:HESABU_PRINT_FILE
    $watch = [int]$env:HESABU_PRINT_WATCH_MS
    # PDFs left by earlier prints (the PDF app may still have had them open).
    $folder = [System.IO.Path]::GetDirectoryName($file)
    Get-ChildItem -LiteralPath $folder -Filter '*.pdf' -ErrorAction SilentlyContinue |
        Where-Object { $_.LastWriteTime -lt (Get-Date).AddDays(-1) } |
        Remove-Item -Force -ErrorAction SilentlyContinue
    $info = New-Object System.Diagnostics.ProcessStartInfo
    $info.FileName = $file
    $info.Verb = 'PrintTo'
    $info.Arguments = '"' + $env:HESABU_PRINTER + '"'
    $info.UseShellExecute = $true
    $info.WindowStyle = [System.Diagnostics.ProcessWindowStyle]::Hidden
    try {
        [void][System.Diagnostics.Process]::Start($info)
    } catch {
        $e = $_.Exception
        while ($null -ne $e.InnerException -and -not ($e -is [System.ComponentModel.Win32Exception])) {
            $e = $e.InnerException
        }
        $code = 0
        if ($e -is [System.ComponentModel.Win32Exception]) { $code = $e.NativeErrorCode }
        # 1155 ERROR_NO_ASSOCIATION: no app has a print command for PDFs; 2: its program is gone.
        if ($code -eq 1155 -or $code -eq 2) {
            Write-Answer @{ ok = $false; error = 'no_pdf_app'; code = $code; message = $e.Message }
        } else {
            Write-Answer @{ ok = $false; error = 'win32'; step = 'shell'; code = $code;
                message = $e.Message }
        }
        return
    }
    $stem = [System.IO.Path]::GetFileNameWithoutExtension($file)
    $job = $null
    $waited = 0
    while ($true) {
        $found = @(Get-CimInstance -ClassName Win32_PrintJob |
            Where-Object { $null -ne $_.Document -and $_.Document.Contains($stem) })
        if ($found.Length -gt 0) { $job = [int]$found[0].JobId; break }
        if ($waited -ge $watch) { break }
        Start-Sleep -Milliseconds 250
        $waited += 250
    }
    Write-Answer @{ ok = $true; job = $job }
}

try {
    $spooler = Get-Service -Name Spooler -ErrorAction SilentlyContinue
    if ($null -eq $spooler -or $spooler.Status -ne 'Running') {
        $state = 'not installed'
        if ($null -ne $spooler) { $state = [string]$spooler.Status }
        Write-Answer @{ ok = $false; error = 'spooler_not_running';
            message = "The Print Spooler service is $state." }
        return
    }
    switch ($env:HESABU_PRINT_OP) {
        'list' { Write-Answer @{ ok = $true; printers = @(Get-HesabuPrinters) } }
        'raw' { Invoke-HesabuRaw }
        'shell' { Invoke-HesabuPrintTo }
        default {
            Write-Answer @{ ok = $false; error = 'exception';
                message = "Unknown operation '$($env:HESABU_PRINT_OP)'." }
        }
    }
} catch {
    Write-Answer @{ ok = $false; error = 'exception'; message = $_.Exception.Message }
}
