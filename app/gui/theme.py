"""The app's look: touch-sized targets (56 px), readable figures, status lines that carry a text tag."""

STYLE_SHEET = """
QPushButton { min-height: 56px; padding: 4px 18px; }
QPushButton[primary="true"] { font-weight: bold; }
QPushButton[chip="true"] { padding: 4px 12px; border: 1px solid #8A9199; border-radius: 22px; background: #FFFFFF; }
QPushButton[chip="true"]:checked { background: #0072B2; color: #FFFFFF; border: 1px solid #0072B2; }
QPushButton[chip="true"]:disabled { color: #9AA0A6; }
QToolButton { min-height: 56px; padding: 4px 12px; }
QAbstractSpinBox { min-height: 56px; padding-right: 4px; }
QAbstractSpinBox::up-button, QAbstractSpinBox::down-button { width: 40px; }
QComboBox { min-height: 56px; }
QCheckBox, QRadioButton { min-height: 48px; spacing: 10px; }
QCheckBox::indicator, QRadioButton::indicator { width: 26px; height: 26px; }
QTabBar::tab { min-height: 44px; padding: 4px 22px; }
QListWidget#steps { font-size: 14pt; border: none; background: #F1F3F5; outline: 0; }
QListWidget#steps::item { padding: 14px 10px; border-left: 4px solid transparent; }
QListWidget#steps::item:selected { background: #FFFFFF; color: #000000; border-left: 4px solid #0072B2; }
QListWidget#steps::item:disabled { color: #9AA0A6; }
QWidget#sideBar { background: #F1F3F5; }
QFrame#navBar { border-top: 1px solid #D0D4D9; background: #F8F9FA; }
QLabel#emphasis { font-weight: bold; }
QLabel#figure { font-size: 16pt; font-weight: bold; }
QFrame#statusLine { border: none; background: transparent; }
QFrame#statusLine[level="ok"] { border: 1px solid #2E7D32; border-radius: 4px; background: #EAF5EA; }
QFrame#statusLine[level="warning"] { border: 1px solid #B26A00; border-radius: 4px; background: #FFF4E0; }
QFrame#statusLine[level="error"] { border: 1px solid #C62828; border-radius: 4px; background: #FDECEC; }
QFrame#statusTile { border-radius: 6px; border: 2px solid #B0B0B0; background: #F4F6F8; }
QFrame#statusTile[level="ok"] { border: 2px solid #2E7D32; background: #EAF5EA; }
QFrame#statusTile[level="warning"] { border: 2px solid #B26A00; background: #FFF4E0; }
QFrame#statusTile[level="error"] { border: 2px solid #C62828; background: #FDECEC; }
QLabel#tileTitle { font-size: 18pt; font-weight: bold; }
QFrame#figures { border: none; }
QWidget#pageBody[dropTarget="true"] { border: 3px dashed #0072B2; background: #EAF3FA; }
QGroupBox { font-weight: bold; margin-top: 12px; }
QGroupBox::title { subcontrol-origin: margin; left: 8px; padding: 0 4px; }
QGroupBox > QWidget { font-weight: normal; }
"""
