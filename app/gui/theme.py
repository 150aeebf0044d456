"""The app's look: large click targets, readable figures, status lines that carry a text tag."""

STYLE_SHEET = """
QPushButton { min-height: 40px; padding: 4px 18px; }
QPushButton[primary="true"] { font-weight: bold; }
QListWidget#steps { font-size: 13pt; border: none; background: #F1F3F5; }
QListWidget#steps::item { padding: 12px 10px; border-left: 4px solid transparent; }
QListWidget#steps::item:selected { background: #FFFFFF; color: #000000; border-left: 4px solid #0072B2; }
QWidget#sideBar { background: #F1F3F5; }
QLabel#emphasis { font-weight: bold; }
QLabel#figure { font-size: 14pt; font-weight: bold; }
QFrame#statusLine { border-radius: 4px; border: 1px solid #B0B0B0; background: #F4F6F8; }
QFrame#statusLine[level="ok"] { border: 1px solid #2E7D32; background: #EAF5EA; }
QFrame#statusLine[level="warning"] { border: 1px solid #B26A00; background: #FFF4E0; }
QFrame#statusLine[level="error"] { border: 1px solid #C62828; background: #FDECEC; }
QGroupBox { font-weight: bold; margin-top: 12px; }
QGroupBox::title { subcontrol-origin: margin; left: 8px; padding: 0 4px; }
QGroupBox > QWidget { font-weight: normal; }
"""
