; Inno Setup script for the Windows installer of Tidings: packs the PyInstaller folder dist\tidings\.
; Not built by CI yet (CI runs on Linux); see packaging/README.md for the steps and the signing.
;
;   pyinstaller --noconfirm --clean packaging\pyinstaller\tidings.spec
;   iscc /DAppVersion=0.1.0 packaging\windows\tidings.iss      -> dist\Tidings-0.1.0-setup.exe
;
; Paths are relative to this file. Installs per user by default (no administrator needed); the
; setup offers an all-users install when run as administrator. The user's library is never removed.

#ifndef AppVersion
  #error Pass the version: iscc /DAppVersion=X.Y.Z tidings.iss
#endif

[Setup]
; The AppId identifies the installation for upgrades and uninstall: never change it.
AppId={{DCE093FC-27BF-4F39-AAF7-19A07B2931CB}
AppName=Tidings
AppVersion={#AppVersion}
AppVerName=Tidings {#AppVersion}
AppPublisher=The Tidings developers
AppPublisherURL=https://github.com/tidings-reader/tidings
AppSupportURL=https://github.com/tidings-reader/tidings/issues
DefaultDirName={autopf}\Tidings
DisableProgramGroupPage=yes
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
OutputDir=..\..\dist
OutputBaseFilename=Tidings-{#AppVersion}-setup
SetupIconFile=..\..\resources\icons\tidings.ico
UninstallDisplayIcon={app}\tidingsw.exe
UninstallDisplayName=Tidings
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
; Sign the installer and its uninstaller (SignTool named "signtool" in the Inno Setup IDE or with
; iscc /Ssigntool="signtool.exe sign /fd sha256 /tr http://timestamp.digicert.com /td sha256 /a $f"):
; SignTool=signtool

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[Files]
Source: "..\..\dist\tidings\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
; tidingsw.exe is the same program without a console window; tidings.exe is the command line.
Name: "{autoprograms}\Tidings"; Filename: "{app}\tidingsw.exe"; AppUserModelID: "io.github.tidings.Tidings"
Name: "{autodesktop}\Tidings"; Filename: "{app}\tidingsw.exe"; Tasks: desktopicon

[Run]
Filename: "{app}\tidingsw.exe"; Description: "{cm:LaunchProgram,Tidings}"; Flags: nowait postinstall skipifsilent

[InstallDelete]
; A new version replaces the old folder's contents: files a new build no longer has must not linger.
Type: filesandordirs; Name: "{app}\_internal"
