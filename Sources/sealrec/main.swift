print("sealrec")
