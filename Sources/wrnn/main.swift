print("wrnn")
