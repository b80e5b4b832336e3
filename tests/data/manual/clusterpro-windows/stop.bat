rem *****
rem *          stop.bat          *
rem *
rem * title   : stop script file sample *
rem * date    : 1999/11/30          *
rem * version : 001.01             *
rem *****

rem *****
rem 起動要因チェック
rem *****
IF "%ARMS_EVENT%" == "START" GOTO NORMAL
IF "%ARMS_EVENT%" == "FAILOVER" GOTO FAILOVER

rem ActiveRecoveryManager 未動作
GOTO no_arm

rem *****
rem 通常終了対応処理
rem *****
:NORMAL

rem ディスクチェック
IF "%ARMS_DISK%" == "FAILURE" GOTO ERROR_DISK

rem *** JobCenter ***
ARMLoadC JOBSTART /W PAUSE
d:\JobCenter\SV\bin\cjcpw -stop orange
ARMKILL JOBSTART

rem *****
rem 業務通常処理
rem *****

rem リソースの異常監視を終了
rem ARMLoad で起動した ARMRSP の終了コマンド
rem watchID は ARMLoad 指定時のものを使用する
rem (例) ARMKILL watchID

rem プライオリティ チェック
IF "%ARMS_SERVER%" == "OTHER" GOTO ON_OTHER1

rem *****
rem 最高プライオリティ での処理
rem (例) ARMBCAST /MSG "最高プライオリティサーバで終了中です" /A
rem *****
GOTO EXIT

:ON_OTHER1
rem *****
rem 最高プライオリティ 以外での処理
rem (例) ARMBCAST /MSG "プライオリティサーバ以外で終了です" /A
rem *****
GOTO EXIT

rem *****
rem フェイルオーバー対応処理
rem *****
:FAILOVER

rem ディスクチェック
IF "%ARMS_DISK%" == "FAILURE" GOTO ERROR_DISK

rem *** JobCenter ***
ARMLoadC JOBSTART /W PAUSE
d:\JobCenter\SV\bin\cjcpw -stop orange
ARMKILL JOBSTART

rem *****
rem フェイルオーバー後の業務起動ならびに復旧処理
rem *****

rem リソースの異常監視を終了
rem ARMLoadC で起動した ARMRSP の終了コマンド
rem watchID は ARMLoadC 指定時のものを使用する
rem (例) ARMKILL watchID

rem プライオリティ のチェック
IF "%ARMS_SERVER%" == "OTHER" GOTO ON_OTHER2

rem *****
rem 最高プライオリティ での処理
rem (例)ARMBCAST /MSG "最高プライオリティサーバで終了中です(フェイルオーバー後)" /A
rem *****
GOTO EXIT

:ON_OTHER2
rem *****
rem 最高プライオリティ 以外での処理
rem (例)ARMBCAST /MSG "プライオリティサーバ以外で終了中です(フェイルオーバー後)" /A
rem *****
GOTO EXIT

rem *****
rem 例外処理
rem *****

rem ディスク関連エラー処理
:ERROR_DISK
ARMBCAST /MSG "切替パーティションの接続に失敗しました" /A
GOTO EXIT

rem ARM 未動作
:no_arm
ARMBCAST /MSG " ActiveRecoveryManager が動作状態にありません" /A

:EXIT
