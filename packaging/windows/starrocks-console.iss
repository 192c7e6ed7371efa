; Inno Setup recipe of the Windows installer. NOT BUILT on this project's machines (they run Linux):
; packaging/ci/build-packages.yml runs it on a Windows runner, through `python packaging/build.py`,
; which passes /DAppVersion (from pyproject.toml) and /DBundle (the PyInstaller onedir folder).
#ifndef AppVersion
  #error AppVersion must be given: iscc /DAppVersion=x.y.z /DBundle=path\to\starrocks-console
#endif

[Setup]
AppId={{6F0C7F2E-2B7A-4C61-9E2B-5B1D3C0A9A11}
AppName=StarRocks Console
AppVersion={#AppVersion}
AppPublisher=StarRocks Console developers
DefaultDirName={autopf}\StarRocks Console
DefaultGroupName=StarRocks Console
; Per-user install by default (no administrator rights needed); the dialog offers all users.
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
OutputBaseFilename=starrocks-console-{#AppVersion}-windows-x64-setup
Compression=lzma2
SolidCompression=yes
WizardStyle=modern
UninstallDisplayIcon={app}\starrocks-console.exe

[Files]
Source: "{#Bundle}\*"; DestDir: "{app}"; Flags: recursesubdirs createallsubdirs ignoreversion

[Icons]
Name: "{group}\StarRocks Console"; Filename: "{app}\starrocks-console.exe"
Name: "{group}\StarRocks Console (local sandbox)"; Filename: "{app}\starrocks-console.exe"; Parameters: "--sandbox"

[Run]
Filename: "{app}\starrocks-console.exe"; Parameters: "--self-test"; Flags: runhidden; StatusMsg: "Checking the installation..."
